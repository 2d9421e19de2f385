"""What the domain stands on, with no Discord in it: the database and its migrations, the
durable job engine, encryption keys and sealed columns, logging. It imports nothing of Tend
but the models."""
