"""The login service's SQL: how sign-in changes accounts and its registration codes. Finding and
creating accounts is shared with the other services (`muistot.accounts`)."""
