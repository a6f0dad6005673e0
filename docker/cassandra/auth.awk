# cassandra.yaml with logins and permissions on: PasswordAuthenticator, CassandraAuthorizer and
# CassandraRoleManager. A setting in Cassandra 5.0's block form (the key, then indented
# `class_name:` / `parameters:` lines) is replaced whole; commented-out examples stay as they are.
BEGIN {
  wanted["authenticator"] = "PasswordAuthenticator"
  wanted["authorizer"] = "CassandraAuthorizer"
  wanted["role_manager"] = "CassandraRoleManager"
}
replacing && /^[ \t]+[^ \t]/ { next }  # an indented line of the block being replaced
{ replacing = 0 }
{
  for (key in wanted) {
    if ($0 ~ ("^" key ":")) {
      print key ": " wanted[key]
      replacing = 1
      next
    }
  }
  print
}
