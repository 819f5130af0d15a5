"""DynamicTech: a FIX-native multi-asset A-Book brokerage hub."""
