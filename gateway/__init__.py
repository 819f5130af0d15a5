"""The client FIX doors (FIX 4.4 acceptors on ``fix_sessions``): order entry for prop firms and third-party apps,
drop copy for brokers. They convert at their edge; the engine never sees a FIX tag. ``gateway.service.Gateway``
puts them together."""
