"""AppSync on one machine: the resolvers' JavaScript runtime."""
