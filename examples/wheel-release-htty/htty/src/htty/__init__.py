"""htty (fixture): drives ht."""
