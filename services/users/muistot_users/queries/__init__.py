"""The users service's SQL: the signed-in person's own rows, content, one-time secrets, export and deletion.
Finding accounts by address or username is shared with the other services (`muistot.accounts`)."""
