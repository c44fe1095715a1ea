"""Operations on a running deployment (release moves, emergency expiry, statistics, ...): the
storage interface their commands use.  The commands themselves live in a plugin
(``plugins/ops``)."""
