"""The matrixcore test kit's fixtures (local_server, fake_clock, adapter_context, ...)."""

pytest_plugins = ["matrixcore.testing.plugin"]
