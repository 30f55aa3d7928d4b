"""One sync of one shop per module: plain Python over clients, adapters, queue and mapping."""
