"""Local stand-ins for the messaging platforms' HTTP APIs, for tests."""
