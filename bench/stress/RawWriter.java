// A cassandra-stress-style writer for bench/ingest.py: the workers' rows, written by the same
// Java driver cassandra-stress uses (3.x, shipped with cassandra-all), with values bound while
// timed. cassandra-stress itself ships only in Cassandra's binary tarball, not on Maven Central.
//
// Input (JSON lines): first {"statements": {name: cql}}, then {"s": name, "rows": [[v, ...]]}
// per group of rows that the workers send together (one partition, or one replica). Values are
// JSON; dates as "YYYY-MM-DD", timestamps as epoch milliseconds; types come from the prepared
// statement. Output: one JSON line {"statements": n, "seconds": s, "errors": n, "first_error": ""}.
//
//   java -cp '<cassandra jars>/*:<classes>' RawWriter HOST PORT KEYSPACE INPUT IN_FLIGHT WARMUP

import com.datastax.driver.core.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.*;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

public class RawWriter {
    static final int ROWS_PER_BATCH = 50; // as the workers (ingest/worker.py)

    record Group(PreparedStatement stmt, List<Object[]> rows) {}

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String keyspace = args[2];
        List<String> lines = Files.readAllLines(Paths.get(args[3]));
        int inFlight = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]); // groups written untimed first (JIT warm-up)
        ObjectMapper json = new ObjectMapper();
        PoolingOptions pooling = new PoolingOptions()
                .setMaxRequestsPerConnection(HostDistance.LOCAL, 2048);
        try (Cluster cluster = Cluster.builder().addContactPoint(host).withPort(port)
                .withPoolingOptions(pooling).withoutJMXReporting().build();
             Session session = cluster.connect(keyspace)) {
            Map<String, PreparedStatement> prepared = new HashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it =
                    json.readTree(lines.get(0)).get("statements").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                PreparedStatement ps = session.prepare(e.getValue().asText());
                ps.setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM);
                prepared.put(e.getKey(), ps);
            }
            List<Group> groups = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                JsonNode node = json.readTree(line);
                PreparedStatement ps = prepared.get(node.get("s").asText());
                List<Object[]> rows = new ArrayList<>();
                for (JsonNode row : node.get("rows")) {
                    rows.add(values(ps.getVariables(), row));
                }
                groups.add(new Group(ps, rows));
            }
            write(session, groups.subList(0, Math.min(warmup, groups.size())), inFlight);
            long t0 = System.nanoTime();
            Result r = write(session, groups, inFlight);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.println(json.writeValueAsString(Map.of(
                    "statements", r.statements, "seconds", seconds, "errors", r.errors.get(),
                    "first_error", r.firstError.get() == null ? "" : r.firstError.get())));
        }
    }

    record Result(int statements, AtomicInteger errors, AtomicReference<String> firstError) {}

    static Result write(Session session, List<Group> groups, int inFlight) throws Exception {
        Semaphore window = new Semaphore(inFlight);
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> first = new AtomicReference<>();
        int statements = 0;
        for (Group g : groups) {
            for (int i = 0; i < g.rows.size(); i += ROWS_PER_BATCH) {
                List<Object[]> chunk = g.rows.subList(i, Math.min(i + ROWS_PER_BATCH, g.rows.size()));
                Statement st;
                if (chunk.size() == 1) {
                    st = g.stmt.bind(chunk.get(0));
                } else {
                    BatchStatement batch = new BatchStatement(BatchStatement.Type.UNLOGGED);
                    for (Object[] row : chunk) batch.add(g.stmt.bind(row));
                    batch.setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM);
                    st = batch;
                }
                window.acquire();
                statements++;
                Futures.addCallback(session.executeAsync(st), new FutureCallback<ResultSet>() {
                    public void onSuccess(ResultSet rs) { window.release(); }
                    public void onFailure(Throwable t) {
                        errors.incrementAndGet();
                        first.compareAndSet(null, t.toString());
                        window.release();
                    }
                }, MoreExecutors.directExecutor());
            }
        }
        window.acquire(inFlight); // every statement acknowledged
        return new Result(statements, errors, first);
    }

    static Object[] values(ColumnDefinitions vars, JsonNode row) {
        Object[] out = new Object[vars.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = value(vars.getType(i), row.get(i));
        }
        return out;
    }

    static Object value(DataType type, JsonNode v) {
        if (v == null || v.isNull()) return null;
        switch (type.getName()) {
            case TEXT: case VARCHAR: return v.asText();
            case BIGINT: return v.asLong();
            case INT: return v.asInt();
            case TINYINT: return (byte) v.asInt();
            case TIMESTAMP: return new Date(v.asLong());
            case DATE: {
                String[] p = v.asText().split("-");
                return LocalDate.fromYearMonthDay(
                        Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
            }
            case SET: {
                Set<Object> s = new HashSet<>();
                for (JsonNode e : v) s.add(value(type.getTypeArguments().get(0), e));
                return s;
            }
            case LIST: {
                List<Object> l = new ArrayList<>();
                for (JsonNode e : v) l.add(value(type.getTypeArguments().get(0), e));
                return l;
            }
            default: throw new IllegalArgumentException("unsupported type " + type);
        }
    }
}
