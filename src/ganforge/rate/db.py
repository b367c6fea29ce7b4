"""One small database layer for SQLite (default, WAL mode) and PostgreSQL (by URL, via psycopg).

SQL is written once with ``?`` placeholders and only parameterised values; for PostgreSQL the
placeholders become ``%s``. Every statement runs in autocommit mode, so each write is durable
when it returns; ``transaction()`` groups several writes.
"""

from __future__ import annotations

import hashlib
import queue
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL connection URL."""
    return str(url).startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str | Path) -> Path:
    """The file of a ``sqlite:///path`` URL or a plain path."""
    text = str(url)
    return Path(text[len("sqlite:///") :] if text.startswith("sqlite:///") else text)


class Database:
    """A pool of connections to one database; ``execute``/``query`` borrow one per call."""

    def __init__(self, url: str | Path, pool_size: int = 8) -> None:
        self.url = str(url)
        self.dialect = "postgresql" if is_postgres(self.url) else "sqlite"
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=pool_size)
        if self.dialect == "sqlite":
            try:
                sqlite_path(self.url).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GanforgeError(f"cannot open SQLite database {self.url}: {exc}") from exc
        with self.connection():  # fail early with a clear message
            pass

    def _connect(self) -> Any:
        if self.dialect == "postgresql":
            try:
                import psycopg
            except ImportError as exc:
                raise GanforgeError(
                    "a PostgreSQL URL needs psycopg: pip install 'ganforge[postgres]'"
                ) from exc
            try:
                return psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                raise GanforgeError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
        try:
            conn = sqlite3.connect(
                sqlite_path(self.url), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.Error as exc:
            raise GanforgeError(f"cannot open SQLite database {self.url}: {exc}") from exc
        if str(mode).lower() != "wal":
            raise GanforgeError(f"SQLite database {self.url} cannot use WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous=FULL")  # a commit survives a killed server and power cuts
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Borrow a connection (a new one when the pool is empty) and return it afterwards."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        broken = False
        try:
            yield conn
        except Exception:
            broken = self._in_transaction(conn)
            raise
        finally:
            if broken:
                conn.close()
            else:
                try:
                    self._pool.put_nowait(conn)
                except queue.Full:
                    conn.close()

    def _in_transaction(self, conn: Any) -> bool:
        if self.dialect == "sqlite":
            return bool(conn.in_transaction)
        return conn.info.transaction_status != 0  # psycopg: 0 is IDLE

    def _sql(self, sql: str) -> str:
        if "%" in sql:
            raise ValueError("SQL text must not contain '%'; pass values as parameters")
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = (), conn: Any = None) -> int:
        """Run one statement; returns the affected row count."""
        if conn is not None:
            return conn.execute(self._sql(sql), tuple(params)).rowcount
        with self.connection() as own:
            return own.execute(self._sql(sql), tuple(params)).rowcount

    def query(self, sql: str, params: Sequence[Any] = (), conn: Any = None) -> list[tuple]:
        """Run one SELECT and return all rows as tuples."""
        if conn is not None:
            return list(conn.execute(self._sql(sql), tuple(params)).fetchall())
        with self.connection() as own:
            return list(own.execute(self._sql(sql), tuple(params)).fetchall())

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self.connection() as conn:
            if self.dialect == "postgresql":
                with conn.transaction():
                    yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold a lock on ``name`` across every process that uses this PostgreSQL database.

        PostgreSQL: a transaction-scoped advisory lock on a connection of its own, released when
        the block ends. SQLite: nothing; a SQLite study is served by one process, whose own
        thread locks suffice.
        """
        if self.dialect != "postgresql":
            yield
            return
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        with self.transaction() as conn:
            self.query("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", (key,), conn=conn)
            yield

    def close(self) -> None:
        """Close the pooled connections."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return
