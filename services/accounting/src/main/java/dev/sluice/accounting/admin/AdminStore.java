package dev.sluice.accounting.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.accounting.admin.AdminState.Account;
import dev.sluice.accounting.admin.AdminState.Assoc;
import dev.sluice.accounting.admin.AdminState.AssocKey;
import dev.sluice.accounting.admin.AdminState.Changes;
import dev.sluice.accounting.admin.AdminState.Qos;
import dev.sluice.accounting.admin.AdminState.User;
import dev.sluice.contracts.cloudevents.Json;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Loads and writes {@link AdminState} through JDBC; a command's changes are written in one transaction. */
final class AdminStore {
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() {
    };

    private AdminStore() {
    }

    static AdminState load(DataSource ds) throws SQLException {
        AdminState s = new AdminState();
        try (Connection c = ds.getConnection()) {
            try (ResultSet r = c.createStatement().executeQuery("SELECT name FROM acct_clusters")) {
                while (r.next()) {
                    s.clusters.add(r.getString(1));
                }
            }
            try (ResultSet r = c.createStatement().executeQuery(
                    "SELECT name, description, organization FROM acct_accounts")) {
                while (r.next()) {
                    s.accounts.put(r.getString(1), new Account(r.getString(1), r.getString(2), r.getString(3)));
                }
            }
            try (ResultSet r = c.createStatement().executeQuery(
                    "SELECT name, default_account, admin_level FROM acct_users")) {
                while (r.next()) {
                    s.users.put(r.getString(1), new User(r.getString(1), r.getString(2), r.getString(3)));
                }
            }
            try (ResultSet r = c.createStatement().executeQuery("""
                    SELECT cluster, account, user_name, partition_name, parent_account, shares, limits::text, qos,
                           default_qos FROM acct_associations""")) {
                while (r.next()) {
                    AssocKey k = new AssocKey(r.getString(1), r.getString(2), r.getString(3), r.getString(4));
                    String qos = r.getString(8);
                    s.assocs.put(k, new Assoc(k, r.getString(5), r.getInt(6), map(r.getString(7)),
                            qos.isEmpty() ? List.of() : Arrays.asList(qos.split(",")), r.getString(9)));
                }
            }
            try (ResultSet r = c.createStatement().executeQuery(
                    "SELECT name, description, priority, limits::text FROM acct_qos")) {
                while (r.next()) {
                    s.qos.put(r.getString(1), new Qos(r.getString(1), r.getString(2), r.getInt(3),
                            map(r.getString(4))));
                }
            }
        }
        return s;
    }

    static void save(DataSource ds, AdminState s, Changes changes) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (String n : changes.clusters()) {
                    if (s.clusters.contains(n)) {
                        exec(c, "INSERT INTO acct_clusters (name) VALUES (?) ON CONFLICT DO NOTHING", n);
                    } else {
                        exec(c, "DELETE FROM acct_clusters WHERE name = ?", n);
                    }
                }
                for (String n : changes.accounts()) {
                    Account a = s.accounts.get(n);
                    if (a != null) {
                        exec(c, """
                                INSERT INTO acct_accounts (name, description, organization) VALUES (?, ?, ?)
                                ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description,
                                    organization = EXCLUDED.organization""", n, a.description(), a.organization());
                    } else {
                        exec(c, "DELETE FROM acct_accounts WHERE name = ?", n);
                    }
                }
                for (String n : changes.users()) {
                    User u = s.users.get(n);
                    if (u != null) {
                        exec(c, """
                                INSERT INTO acct_users (name, default_account, admin_level) VALUES (?, ?, ?)
                                ON CONFLICT (name) DO UPDATE SET default_account = EXCLUDED.default_account,
                                    admin_level = EXCLUDED.admin_level""", n, u.defaultAccount(), u.adminLevel());
                    } else {
                        exec(c, "DELETE FROM acct_users WHERE name = ?", n);
                    }
                }
                for (AssocKey k : changes.assocs()) {
                    Assoc a = s.assocs.get(k);
                    if (a != null) {
                        exec(c, """
                                INSERT INTO acct_associations (cluster, account, user_name, partition_name,
                                    parent_account, shares, limits, qos, default_qos)
                                VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
                                ON CONFLICT (cluster, account, user_name, partition_name) DO UPDATE SET
                                    parent_account = EXCLUDED.parent_account, shares = EXCLUDED.shares,
                                    limits = EXCLUDED.limits, qos = EXCLUDED.qos, default_qos = EXCLUDED.default_qos""",
                                k.cluster(), k.account(), k.user(), k.partition(), a.parent(), a.shares(),
                                json(a.limits()), String.join(",", a.qos()), a.defaultQos());
                    } else {
                        exec(c, """
                                DELETE FROM acct_associations
                                WHERE cluster = ? AND account = ? AND user_name = ? AND partition_name = ?""",
                                k.cluster(), k.account(), k.user(), k.partition());
                    }
                }
                for (String n : changes.qos()) {
                    Qos q = s.qos.get(n);
                    if (q != null) {
                        exec(c, """
                                INSERT INTO acct_qos (name, description, priority, limits) VALUES (?, ?, ?, ?::jsonb)
                                ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description,
                                    priority = EXCLUDED.priority, limits = EXCLUDED.limits""",
                                n, q.description(), q.priority(), json(q.limits()));
                    } else {
                        exec(c, "DELETE FROM acct_qos WHERE name = ?", n);
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static void exec(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                p.setObject(i + 1, args[i]);
            }
            p.executeUpdate();
        }
    }

    private static String json(Map<String, String> m) {
        try {
            return Json.MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> map(String json) {
        try {
            return Json.MAPPER.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
