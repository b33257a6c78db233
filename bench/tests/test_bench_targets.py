import tomllib

from botbench.targets import BotkitOptions, Secrets, botkit_settings, botkit_spec, peer_spec


def test_botkit_settings_follow_the_documented_shape(tmp_path):
    settings = tomllib.loads(
        botkit_settings(8123, "uvicorn", tmp_path / "botkit.db", BotkitOptions())
    )
    assert settings["enabled_plugins"] == ["bench-noop"]
    assert settings["whatsapp"]["app_secret"] == {"env": "WHATSAPP_APP_SECRET"}
    assert settings["whatsapp"]["verify_token"] == {"env": "WHATSAPP_VERIFY_TOKEN"}
    assert settings["server"] == {"bind": "127.0.0.1:8123", "path": "/webhook", "server": "uvicorn"}
    assert settings["store"]["url"] == f"sqlite:///{tmp_path / 'botkit.db'}"
    assert settings["store"]["dedupe_days"] == 3650


def test_end_to_end_settings_point_replies_at_the_fake_graph_api(tmp_path):
    options = BotkitOptions(
        plugins=("auto-reply",),
        plugin_settings=(("auto-reply", (("default_reply", "hi"),)),),
        graph_url="http://127.0.0.1:9999",
    )
    settings = tomllib.loads(botkit_settings(1, "hypercorn", tmp_path / "b.db", options))
    assert settings["plugins"]["auto-reply"] == {"default_reply": "hi"}
    assert settings["whatsapp"]["graph_url"] == "http://127.0.0.1:9999"
    assert settings["server"]["server"] == "hypercorn"


def test_secrets_reach_servers_only_through_the_environment(tmp_path):
    secrets = Secrets("app-secret-value", "verify-token-value")
    assert "app-secret-value" not in repr(secrets)
    log = tmp_path / "dispatch.log"
    spec = botkit_spec(
        "uvicorn", 8000, secrets, tmp_path, BotkitOptions(dispatch_log=log), tmp_path / "b.toml"
    )
    assert "app-secret-value" not in (tmp_path / "b.toml").read_text()
    assert spec.env["WHATSAPP_APP_SECRET"] == "app-secret-value"
    assert spec.env["BENCH_DISPATCH_LOG"] == str(log)
    assert spec.argv[1:] == ["serve", "--config", str(tmp_path / "b.toml")]
    assert spec.ready_path == "/healthz"
    peer = peer_spec("pywa", "uvicorn", 8001, secrets, tmp_path)
    assert "app-secret-value" not in " ".join(peer.argv)
    assert ".venv-peers" in peer.argv[0]
