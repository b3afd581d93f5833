package dev.sluice.accounting.sacct;

import jakarta.persistence.Column;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads rows of the history tables into their entity classes over plain JDBC, by the entities' own column
 * mapping ({@code @Column(name)} or the field's name), so the mapping stays in one place: the entity. sacct reads
 * this way because the same query through Hibernate Reactive cost 60 to 180 ms per answer (session, event-loop
 * hops, hydration) against about 1 ms through JDBC, which is most of sacct's 200 ms budget.
 */
final class JdbcRows {
    private record Mapped(Field field, String column) {
    }

    private static final Map<Class<?>, List<Mapped>> MAPPINGS = new ConcurrentHashMap<>();

    private JdbcRows() {
    }

    /** The table's columns as the entity maps them, for a select list. */
    static String columns(Class<?> type, String alias) {
        StringBuilder b = new StringBuilder();
        for (Mapped m : mapping(type)) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(alias).append('.').append(m.column());
        }
        return b.toString();
    }

    /** Every row of {@code rs} as a {@code type}, its columns selected as {@link #columns} lists them. */
    static <T> List<T> read(ResultSet rs, Class<T> type) throws SQLException {
        List<Mapped> mapping = mapping(type);
        List<T> out = new ArrayList<>();
        try {
            var constructor = type.getDeclaredConstructor();
            while (rs.next()) {
                T row = constructor.newInstance();
                for (int i = 0; i < mapping.size(); i++) {
                    Field f = mapping.get(i).field();
                    f.set(row, value(rs, i + 1, f.getType()));
                }
                out.add(row);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot map " + type.getSimpleName(), e);
        }
        return out;
    }

    private static Object value(ResultSet rs, int col, Class<?> type) throws SQLException {
        if (type == long.class) {
            return rs.getLong(col);
        }
        if (type == java.time.Instant.class) {
            Timestamp t = rs.getTimestamp(col);
            return t == null ? null : t.toInstant();
        }
        Object v = rs.getObject(col);
        if (v == null) {
            return null;
        }
        if (type == Integer.class) {
            return ((Number) v).intValue();
        }
        if (type == Long.class) {
            return ((Number) v).longValue();
        }
        if (type == String.class) {
            return v.toString();
        }
        throw new IllegalStateException("no JDBC mapping for " + type);
    }

    private static List<Mapped> mapping(Class<?> type) {
        return MAPPINGS.computeIfAbsent(type, t -> {
            List<Mapped> out = new ArrayList<>();
            for (Field f : t.getDeclaredFields()) {
                int mod = f.getModifiers();
                // Hibernate's build-time enhancement adds bookkeeping fields of its own ($$_hibernate_...), and
                // Quarkus may narrow the entities' public fields behind generated accessors
                if (f.getName().startsWith("$$") || f.isSynthetic() || Modifier.isStatic(mod) || Modifier.isTransient(mod)
                        || f.isAnnotationPresent(jakarta.persistence.Transient.class)) {
                    continue;
                }
                f.setAccessible(true);
                Column c = f.getAnnotation(Column.class);
                out.add(new Mapped(f, c != null && !c.name().isEmpty() ? c.name() : f.getName()));
            }
            return List.copyOf(out);
        });
    }
}
