"""Accounts (:class:`mmcore.accounts.store.AccountStore`) on SQLAlchemy Core.

Mixed into ``SqlStore``.  Users and groups live in MirrorManager2's ``mm_user``, ``mm_group``
and ``mm_user_group``; sessions, tokens and log-in failures in this project's tables (migration
0002), always as hashes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

import sqlalchemy as sa

from mmcore.accounts.store import SessionRecord
from mmcore.manage.errors import Conflict
from mmcore.model import User

from . import schema as t

_USER_COLUMNS = (t.mm_user.c.id, t.mm_user.c.user_name, t.mm_user.c.email_address,
                 t.mm_user.c.display_name, t.mm_user.c.password, t.mm_user.c.token,
                 t.mm_user.c.created, t.mm_user.c.updated_on)


def _user(row: sa.Row | None) -> User | None:
    return User(**row._mapping) if row is not None else None


class AccountOpsMixin:
    engine: sa.Engine

    # -- users ---------------------------------------------------------------------------------

    def create_user(self, user_name: str, email: str, display_name: str | None,
                    password_hash: str) -> int:
        u = t.mm_user
        with self._errors("create a user in"):  # type: ignore[attr-defined]
            try:
                with self.engine.begin() as conn:
                    return conn.execute(sa.insert(u).values(
                        user_name=user_name, email_address=email, display_name=display_name,
                        password=password_hash).returning(u.c.id)).scalar_one()
            except sa.exc.IntegrityError as exc:
                raise Conflict("username: this user name is taken", field="username") from exc

    def user_by_name(self, user_name: str) -> User | None:
        u = t.mm_user
        with self._reading("read a user from") as conn:  # type: ignore[attr-defined]
            return _user(conn.execute(sa.select(*_USER_COLUMNS)
                                      .where(u.c.user_name == user_name)).one_or_none())

    def user_by_email(self, email: str) -> User | None:
        u = t.mm_user
        with self._reading("read a user from") as conn:  # type: ignore[attr-defined]
            return _user(conn.execute(sa.select(*_USER_COLUMNS)
                                      .where(sa.func.lower(u.c.email_address) == email.lower())
                                      .limit(1)).one_or_none())

    def user_groups(self, user_id: int) -> tuple[str, ...]:
        g, ug = t.mm_group, t.mm_user_group
        with self._reading("read user groups from") as conn:  # type: ignore[attr-defined]
            return tuple(sorted(conn.execute(
                sa.select(g.c.group_name).select_from(ug.join(g, ug.c.group_id == g.c.id))
                .where(ug.c.user_id == user_id)).scalars()))

    def set_password(self, user_id: int, password_hash: str) -> None:
        u = t.mm_user
        with self._errors("change a password in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.update(u).where(u.c.id == user_id).values(password=password_hash))
            conn.execute(sa.delete(t.mm_session).where(t.mm_session.c.user_id == user_id))

    # -- tokens --------------------------------------------------------------------------------

    def put_token(self, user_id: int, purpose: str, token_hash: str,
                  expiry: datetime.datetime) -> None:
        k = t.mm_user_token
        with self._errors("store a token in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.delete(k).where(k.c.user_id == user_id, k.c.purpose == purpose))
            conn.execute(sa.insert(k).values(user_id=user_id, purpose=purpose,
                                             token_hash=token_hash, expiry=expiry))

    def take_token(self, purpose: str, token_hash: str, now: datetime.datetime) -> int | None:
        k = t.mm_user_token
        with self._errors("use a token in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            row = conn.execute(sa.delete(k).where(k.c.purpose == purpose,
                                                  k.c.token_hash == token_hash)
                               .returning(k.c.user_id, k.c.expiry)).one_or_none()
            conn.execute(sa.delete(k).where(k.c.expiry < now, k.c.purpose == "reset"))
        if row is None or row.expiry < now:
            return None
        return row.user_id

    def has_token(self, user_id: int, purpose: str) -> bool:
        k = t.mm_user_token
        with self._reading("read tokens from") as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(k.c.id).where(k.c.user_id == user_id,
                                                        k.c.purpose == purpose)
                                .limit(1)).scalar() is not None

    def drop_tokens(self, user_id: int, purpose: str) -> None:
        k = t.mm_user_token
        with self._errors("delete tokens from"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.delete(k).where(k.c.user_id == user_id, k.c.purpose == purpose))

    # -- sessions --------------------------------------------------------------------------------

    def create_session(self, record: SessionRecord) -> None:
        with self._errors("start a session in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.insert(t.mm_session).values(
                key_hash=record.key_hash, user_name=record.username,
                groups=json.dumps(list(record.groups)), email=record.email,
                display_name=record.display_name, provider=record.provider,
                user_id=record.user_id, user_ip=record.user_ip, created=record.created,
                expiry=record.expiry))

    def session(self, key_hash: str, now: datetime.datetime) -> SessionRecord | None:
        m = t.mm_session
        with self._reading("read a session from") as conn:  # type: ignore[attr-defined]
            row = conn.execute(sa.select(m).where(m.c.key_hash == key_hash,
                                                  m.c.expiry > now)).one_or_none()
        if row is None:
            return None
        try:
            groups = tuple(str(g) for g in json.loads(row.groups))
        except (ValueError, TypeError):
            groups = ()
        return SessionRecord(key_hash=row.key_hash, username=row.user_name, groups=groups,
                             email=row.email, display_name=row.display_name,
                             provider=row.provider, user_id=row.user_id, user_ip=row.user_ip,
                             created=row.created, expiry=row.expiry)

    def delete_session(self, key_hash: str) -> None:
        m = t.mm_session
        with self._errors("end a session in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.delete(m).where(m.c.key_hash == key_hash))

    def delete_expired_sessions(self, now: datetime.datetime) -> int:
        m = t.mm_session
        with self._errors("expire sessions in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.delete(m).where(m.c.expiry <= now)).rowcount

    # -- throttling ------------------------------------------------------------------------------

    def record_login_failure(self, keys: Sequence[str], at: datetime.datetime) -> None:
        f = t.mm_login_failure
        with self._errors("record a failed log-in in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.insert(f), [{"key": key[:128], "at": at} for key in keys])
            # forget failures older than a day, a few at a time
            old = sa.select(f.c.id).where(f.c.at < at - datetime.timedelta(days=1)).limit(100)
            conn.execute(sa.delete(f).where(f.c.id.in_(old)))

    def login_failures(self, keys: Sequence[str],
                       since: datetime.datetime) -> dict[str, tuple[int, datetime.datetime]]:
        f = t.mm_login_failure
        with self._reading("read failed log-ins from") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(sa.select(f.c.key, sa.func.count(), sa.func.max(f.c.at))
                                .where(f.c.key.in_([k[:128] for k in keys]), f.c.at >= since)
                                .group_by(f.c.key))
            return {row[0]: (int(row[1]), row[2]) for row in rows}

    def clear_login_failures(self, keys: Sequence[str]) -> None:
        f = t.mm_login_failure
        with self._errors("clear failed log-ins in"), self.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.delete(f).where(f.c.key.in_([k[:128] for k in keys])))
