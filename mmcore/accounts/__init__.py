"""Accounts: who is logged in, and how they got there.

* :mod:`mmcore.accounts.identity` -- :class:`Identity`, what every authentication method
  (local password, OpenID Connect, an API token) produces;
* :mod:`mmcore.accounts.passwords` -- argon2 hashes of local users' passwords;
* :mod:`mmcore.accounts.tokens` -- random one-time tokens, stored only as hashes;
* :mod:`mmcore.accounts.store` -- the storage protocol (users, sessions, tokens, login
  failures);
* :mod:`mmcore.accounts.service` -- registration, confirmation, log-in with throttling,
  password reset, server-side sessions.
"""
