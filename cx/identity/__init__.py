"""Customer identity: raw e-mail, phone and loyalty keys turned into normal forms and keyed hashes."""
