"""A session whose commit is reported truly.

If the connection to PostgreSQL is lost while COMMIT is on its way (a server restart, a killed
backend, a network cut), the driver raises although the server may well have committed. Reporting
that as a failure makes users submit again and get duplicates, or believe a saved decision was lost.
So before committing, the session notes its transaction id; if COMMIT fails with a lost
connection, it asks the server on a new connection whether that transaction committed
(`txid_status`), and if it did, the commit is reported as the success it was."""
from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
STATUS_CHECKS = 5  # tries while the server still reports the transaction "in progress"


class CommitUnconfirmed(Exception):
    """The connection was lost during COMMIT and the server could not tell whether it committed."""


class Session(FlaskSession):
    def commit(self) -> None:
        txid = self._txid_before_commit()
        try:
            super().commit()
        except DBAPIError as error:
            if txid is None or not error.connection_invalidated:
                raise
            status = self._status_of(txid)
            self.rollback()  # reset this session either way; its objects reload on next use
            if status is None:
                raise CommitUnconfirmed(txid) from error
            if status != "committed":
                raise
            log.warning("connection lost during COMMIT of transaction %s, which did commit: reported as saved", txid)

    def _txid_before_commit(self) -> int | None:
        """The PostgreSQL transaction id of what this commit will write, or None (nothing written, or not PostgreSQL)."""
        if not self.in_transaction() or self.get_bind().dialect.name != "postgresql":
            return None
        self.flush()
        return self.execute(sa.text("SELECT txid_current_if_assigned()")).scalar()

    def _status_of(self, txid: int) -> str | None:
        engine = self.get_bind()
        for attempt in range(STATUS_CHECKS):
            try:
                with engine.connect() as connection:
                    status = connection.execute(sa.text("SELECT txid_status(:t)"), {"t": txid}).scalar()
            except DBAPIError:
                status = None
            if status != "in progress":
                return status
            time.sleep(0.05 * (attempt + 1))
        return None
