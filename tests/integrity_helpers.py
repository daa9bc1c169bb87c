"""Real failures for the fault tests: triggers, killed sessions, unreachable servers.

Nothing here mocks a database: a trigger raises inside the server, a session is
terminated by the server, an alias is pointed at a port nobody listens on.
"""

import socket
from contextlib import contextmanager

from django.apps import apps
from django.db import connections


def snapshot(*app_labels: str) -> dict[str, list[dict]]:
    """Every row of every model of ``app_labels`` (``shop`` by default), in every
    database, ordered by primary key."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for label in app_labels or ("shop",)
        for model in apps.get_app_config(label).get_models()
    }


def counts(state: dict[str, list[dict]]) -> dict[str, int]:
    return {label: len(rows) for label, rows in state.items()}


@contextmanager
def failing_trigger(alias: str, table: str, event: str = "DELETE"):
    """A trigger on ``table`` in ``alias`` that raises on ``event``, for the block."""
    connection = connections[alias]
    name = f"weakrel_fail_{table}"
    vendor = connection.vendor
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        ]
        drop = [f"DROP TRIGGER {name}"]
    elif vendor == "postgresql":
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    else:
        create = [
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"
        ]
        drop = [f"DROP TRIGGER {name}"]
    with connection.cursor() as cursor:
        for sql in create:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in drop:
                cursor.execute(sql)


def kill_session(alias: str) -> None:
    """Make the next statement on ``alias`` fail the way a lost connection does.

    On a server the session behind ``connections[alias]`` is terminated from another
    session. An embedded SQLite database has no session to lose (and the in-memory
    test database would vanish with its connection), so it is switched to
    ``PRAGMA query_only``: the next write fails inside SQLite, as when the file
    becomes unwritable. :func:`restore_session` switches it back.
    """
    victim = connections[alias]
    if victim.vendor == "sqlite":
        victim.connection.execute("PRAGMA query_only = ON")
        return
    killer = connections.create_connection(alias)
    try:
        with killer.cursor() as cursor:
            if victim.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_terminate_backend(%s)", [victim.connection.info.backend_pid]
                )
            else:
                cursor.execute(f"KILL CONNECTION {int(victim.connection.thread_id())}")
    finally:
        killer.close()


def restore_session(alias: str) -> None:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA query_only = OFF")
    else:
        connection.close()


def fail_at_commit(alias: str) -> None:
    """Make the next COMMIT on ``alias`` fail, with the transaction's writes done.

    SQLite and PostgreSQL check deferred foreign keys at COMMIT: a row pointing at
    nothing (an order line in ``orders``, a user's group in ``default``) makes COMMIT
    raise ``IntegrityError``. MySQL/MariaDB check foreign keys at once, so there the
    session is killed and COMMIT meets a dead connection.
    """
    connection = connections[alias]
    if connection.vendor == "mysql":
        kill_session(alias)
        return
    missing = 2**31 - 1
    with connection.cursor() as cursor:
        if alias == "orders":
            cursor.execute(
                "INSERT INTO shop_orderline (order_id, product_id, quantity) VALUES (%s, %s, 1)",
                [missing, "none"],
            )
        else:
            cursor.execute(
                "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                [missing, missing],
            )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down(alias: str):
    """Point ``alias`` at a server (or file) that cannot be reached, for the block.

    The alias gets a new connection built from a copy of its settings, so the test
    database and its open connection are untouched and come back afterwards.
    """
    original = connections[alias]
    settings = {**original.settings_dict}
    if original.vendor == "sqlite":
        settings["NAME"] = "/nonexistent-weakrel-directory/down.sqlite3"
    else:
        settings["HOST"] = "127.0.0.1"
        settings["PORT"] = str(closed_port())
    down = original.__class__(settings, alias)
    connections[alias] = down
    try:
        yield
    finally:
        down.close()
        connections[alias] = original
