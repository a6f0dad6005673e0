// Runs once, when the mongo container starts on an empty data directory (the image's
// /docker-entrypoint-initdb.d, as the root user of MONGO_INITDB_ROOT_USERNAME): the project's
// own user, with rights on its database only.
const user = process.env.MONGO_APP_USERNAME;
const pwd = process.env.MONGO_APP_PASSWORD;
const database = process.env.MONGO_APP_DATABASE || "tweektrend";
if (!user || !pwd || pwd === "change-me") {
  throw new Error("set MONGO_APP_USERNAME and MONGO_APP_PASSWORD in docker/.env");
}
db.getSiblingDB("admin").createUser({
  user: user,
  pwd: pwd,
  roles: [{ role: "readWrite", db: database }, { role: "dbAdmin", db: database }],
});
