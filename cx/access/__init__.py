"""Who may see and change what: the roles, password hashing and the ``users`` commands (the users and
their grants are kept by :mod:`cx.store.users`)."""
