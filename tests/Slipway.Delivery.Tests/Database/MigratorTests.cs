using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;
using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

/// <summary>The migrator against the real test PostgreSQL; every test has its own database and migrations folder.</summary>
public sealed class MigratorTests
{
    private static readonly MigrationOptions Options = new() { AppliedBy = "tests@slipway", LockTimeout = TimeSpan.FromSeconds(30) };

    [PostgresFact]
    public async Task Applies_all_pending_migrations_in_order_and_records_history()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        var log = new List<string>();

        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);
        var result = await Migrator.ApplyAsync(plan, log.Add, default);

        Assert.Equal(MigrationDirection.Up, plan.Direction);
        Assert.Equal(["0001_create_widgets", "0002_add_price", "0003_index_name"], result.Applied.Select(s => s.Id));
        Assert.Empty(result.Reverted);
        Assert.Equal((0, 3), (result.FromVersion, result.FinalVersion));
        Assert.Contains(log, line => Regex.IsMatch(line, @"^0002_add_price applied in \d+ ms$"));
        Assert.Equal($"{db.Name} is now at version 3", log[^1]);

        var expectedHistory = folder.UpFiles().Select(file =>
            $"{int.Parse(file[..4], CultureInfo.InvariantCulture)}|{file[5..^7]}|{Sha256(Path.Combine(folder.Path, file))}|tests@slipway");
        Assert.Equal(expectedHistory, await db.RowsAsync("SELECT version, name, checksum, applied_by FROM schema_migrations ORDER BY version"));
        Assert.Contains("widgets|price_cents|integer|NO|0", await db.SchemaSnapshotAsync());
        Assert.Contains(await db.RowsAsync("SELECT indexdef FROM pg_indexes WHERE indexname = 'widgets_name'"), d => d.Contains("UNIQUE", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_second_run_finds_nothing_to_do_and_changes_nothing()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default);
        var historyBefore = await db.RowsAsync("SELECT version, applied_at, execution_ms FROM schema_migrations ORDER BY version");
        var log = new List<string>();

        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);
        var result = await Migrator.ApplyAsync(plan, log.Add, default);

        Assert.Equal(MigrationDirection.None, plan.Direction);
        Assert.Empty(plan.Steps);
        Assert.Contains("nothing to do: target version 3 is the current version", plan.Describe());
        Assert.Empty(result.Applied);
        Assert.Equal((3, 3), (result.FromVersion, result.FinalVersion));
        Assert.Equal($"{db.Name} is at version 3; nothing to do", log[^1]);
        Assert.Equal(historyBefore, await db.RowsAsync("SELECT version, applied_at, execution_ms FROM schema_migrations ORDER BY version"));
    }

    [PostgresFact]
    public async Task A_failing_migration_is_rolled_back_and_the_earlier_ones_of_the_run_stay_applied()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets().Remove("0003_index_name.up.sql").Remove("0003_index_name.down.sql")
            .Add("0003_add_colour.up.sql", "ALTER TABLE widgets ADD COLUMN colour text;\nCREATE INDEX widgets_colour ON widgets (colour);\nINSERT INTO  missing_table VALUES (1);\n");
        var log = new List<string>();
        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);

        var failure = await Assert.ThrowsAsync<MigrationScriptException>(() => Migrator.ApplyAsync(plan, log.Add, default));

        Assert.Equal("0003_add_colour.up.sql", failure.File);
        Assert.Equal("42P01", failure.SqlState);
        Assert.Equal((3, 14), (failure.Line, failure.Column));
        Assert.Equal(
            $"0003_add_colour.up.sql failed at line 3, column 14: relation \"missing_table\" does not exist (SQLSTATE 42P01); " +
            $"its transaction was rolled back and {db.Name} stays at version 2",
            failure.Message);
        Assert.Equal(["1|create_widgets", "2|add_price"], await db.HistoryAsync());
        Assert.DoesNotContain(await db.SchemaSnapshotAsync(), line => line.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(log, line => line.StartsWith("0002_add_price applied in ", StringComparison.Ordinal));
        Assert.DoesNotContain(log, line => line.StartsWith("0003", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_failing_migration_leaves_the_schema_exactly_as_before()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets().Add(
            "0004_rename_and_fail.up.sql",
            """
            ALTER TABLE widgets RENAME COLUMN name TO title;
            ALTER TABLE widgets ALTER COLUMN price_cents DROP DEFAULT;
            CREATE TABLE parts (id bigint PRIMARY KEY, widget_id bigint REFERENCES widgets (id));
            CREATE TYPE size AS ENUM ('s', 'm', 'l');
            DROP INDEX widgets_name;
            SELECT 1 / 0;
            """);
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, 3, Options, default), _ => { }, default);
        var before = await db.SchemaSnapshotAsync();
        var historyBefore = await db.RowsAsync("SELECT * FROM schema_migrations ORDER BY version");

        var failure = await Assert.ThrowsAsync<MigrationScriptException>(
            async () => await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default));

        Assert.Equal("22012", failure.SqlState);
        Assert.Equal((6, null), (failure.Line, failure.Column));
        Assert.StartsWith("0004_rename_and_fail.up.sql failed in the statement at line 6: division by zero (SQLSTATE 22012); ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(before, await db.SchemaSnapshotAsync());
        Assert.Equal(historyBefore, await db.RowsAsync("SELECT * FROM schema_migrations ORDER BY version"));
    }

    [PostgresFact]
    public async Task An_applied_migration_whose_file_changed_is_checksum_drift_naming_the_file()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default);

        // Line endings alone are not drift: a Windows checkout must not block a deploy.
        var first = Path.Combine(folder.Path, "0001_create_widgets.up.sql");
        File.WriteAllText(first, File.ReadAllText(first).ReplaceLineEndings("\r\n"));
        Assert.Empty((await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default)).Steps);

        folder.Add("0002_add_price.up.sql", "ALTER TABLE widgets ADD COLUMN price_cents bigint NOT NULL DEFAULT 0;\n");
        var drift = await Assert.ThrowsAsync<MigrationException>(() => Migrator.PlanAsync(db.Url, folder.Path, null, Options, default));

        Assert.StartsWith($"checksum drift: 0002_add_price.up.sql changed after it was applied to slipway@127.0.0.1:55432/{db.Name} on ", drift.Message, StringComparison.Ordinal);
        Assert.Contains("by tests@slipway", drift.Message, StringComparison.Ordinal);
        Assert.Contains("put the change in a new migration", drift.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_second_migrator_waits_for_the_first_then_finds_nothing_left()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets()
            .Add("0001_create_widgets.up.sql", "CREATE TABLE widgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\nSELECT pg_sleep(2);\n");
        var firstPlan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);
        var secondPlan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);
        var firstLog = new List<string>();
        var secondLog = new List<string>();

        var first = Task.Run(() => Migrator.ApplyAsync(firstPlan, firstLog.Add, default));
        await WaitForLockHolderAsync(db);
        var second = Migrator.ApplyAsync(secondPlan, secondLog.Add, default);
        var results = await Task.WhenAll(first, second);

        Assert.Equal(3, results[0].Applied.Count);
        Assert.Empty(results[1].Applied);
        Assert.Equal(3, results[1].FinalVersion);
        Assert.Matches(
            @$"^waiting up to 30 s for the migration lock on {db.Name}, held since \S+ \S+Z \(pid \d+, slipway-migrator\)$",
            secondLog[0]);
        Assert.Equal($"{db.Name} moved from version 0 to 3 since the plan was made; 0 step(s) left to reach version 3", secondLog[2]);
        Assert.Equal(["1|create_widgets", "2|add_price", "3|index_name"], await db.HistoryAsync());
    }

    [PostgresFact]
    public async Task A_lock_held_longer_than_the_timeout_fails_clearly_and_applies_nothing()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        await using var holder = db.Connect("other-migrator");
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLock.Key})", holder))
            await take.ExecuteScalarAsync();
        await using var pidCommand = new NpgsqlCommand("SELECT pg_backend_pid()", holder);
        var holderPid = (int)(await pidCommand.ExecuteScalarAsync())!;
        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options with { LockTimeout = TimeSpan.FromSeconds(1) }, default);
        var stopwatch = Stopwatch.StartNew();

        var timeout = await Assert.ThrowsAsync<MigrationLockTimeoutException>(() => Migrator.ApplyAsync(plan, _ => { }, default));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Matches(
            @$"^another migration holds the lock on {db.Name} at 127\.0\.0\.1:55432 since \S+ \S+Z \(pid {holderPid}, other-migrator\); waited 1 s; retry later$",
            timeout.Message);
        Assert.Empty(await db.TablesAsync());
    }

    [PostgresFact]
    public async Task Migrating_to_a_lower_version_runs_the_down_scripts_newest_first()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default);
        var atVersionOne = await SnapshotAtAsync(folder, 1);
        var log = new List<string>();

        var plan = await Migrator.PlanAsync(db.Url, folder.Path, 1, Options, default);
        var result = await Migrator.ApplyAsync(plan, log.Add, default);

        Assert.Equal(MigrationDirection.Down, plan.Direction);
        Assert.Equal(["  revert 0003_index_name.down.sql", "  revert 0002_add_price.down.sql"], plan.Describe().Where(l => l.StartsWith("  ", StringComparison.Ordinal)));
        Assert.Equal(["0003_index_name", "0002_add_price"], result.Reverted.Select(s => s.Id));
        Assert.Equal((3, 1), (result.FromVersion, result.FinalVersion));
        Assert.Matches(@"^0003_index_name reverted in \d+ ms$", log[1]);
        Assert.Equal(["1|create_widgets"], await db.HistoryAsync());
        Assert.Equal(atVersionOne, await db.SchemaSnapshotAsync());

        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, 0, Options, default), _ => { }, default);
        Assert.Equal(["schema_migrations"], await db.TablesAsync());
        Assert.Empty(await db.HistoryAsync());
    }

    [PostgresFact]
    public async Task Migrating_down_across_a_missing_down_script_is_refused_before_anything_runs()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets().Remove("0002_add_price.down.sql");
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default);

        var refusal = await Assert.ThrowsAsync<MigrationException>(() => Migrator.PlanAsync(db.Url, folder.Path, 0, Options, default));

        Assert.Equal(
            $"cannot migrate slipway@127.0.0.1:55432/{db.Name} down from version 3 to 0: no down script 0002_add_price.down.sql in {folder.Path}; " +
            "write it (reviewed like any migration), or restore the database from a backup",
            refusal.Message);
        Assert.Equal(3, (await db.HistoryAsync()).Count);

        // Above the gap, reverting still works.
        var result = await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, 2, Options, default), _ => { }, default);
        Assert.Equal(["0003_index_name"], result.Reverted.Select(s => s.Id));
    }

    [PostgresFact]
    public async Task A_missing_required_extension_is_named_with_how_to_install_it()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();

        // pgvector is not packaged for Debian 12's PostgreSQL 15, so this server lacks it.
        var missing = await Assert.ThrowsAsync<MigrationException>(() => Migrator.PlanAsync(
            db.Url, folder.Path, null, Options with { RequiredExtensions = ["pgcrypto", "vector"] }, default));
        Assert.StartsWith("required PostgreSQL extension vector is not available on 127.0.0.1:55432 (PostgreSQL 15.", missing.Message, StringComparison.Ordinal);
        Assert.Contains("install the package that provides it on the database server (pgvector: postgresql-15-pgvector", missing.Message, StringComparison.Ordinal);
        Assert.Empty(await db.TablesAsync());

        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options with { RequiredExtensions = ["pgcrypto"] }, default);
        Assert.Matches(@"^extension pgcrypto [0-9.]+ is available \(not yet created in this database\)$", plan.Describe().ElementAt(1));
    }

    [PostgresFact]
    public async Task A_dry_run_plan_lists_the_pending_migrations_and_applies_nothing()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, 1, Options, default), _ => { }, default);
        var before = await db.SchemaSnapshotAsync();

        var plan = await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default);

        Assert.Equal(
            [
                $"database slipway@127.0.0.1:55432/{db.Name} is at version 1; migrations in {folder.Path} go up to 3",
                "2 to apply to reach version 3:",
                "  apply 0002_add_price.up.sql",
                "  apply 0003_index_name.up.sql",
            ],
            plan.Describe());
        Assert.Equal(["0001_create_widgets"], plan.Applied.Select(a => a.Id));
        Assert.Equal(before, await db.SchemaSnapshotAsync());

        await using var fresh = await TestDatabase.CreateAsync();
        Assert.Equal(3, (await Migrator.PlanAsync(fresh.Url, folder.Path, null, Options, default)).Steps.Count);
        Assert.Empty(await fresh.TablesAsync()); // not even the history table
    }

    [PostgresFact]
    public async Task A_script_with_its_own_transaction_control_is_refused_before_anything_runs_and_function_bodies_are_not_mistaken_for_it()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = new MigrationFolder()
            .Add(
                "0001_functions.up.sql",
                """
                -- COMMIT in a comment; BEGIN; /* nested /* COMMIT */ END; */
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                    NEW.note := 'COMMIT;';
                    RETURN NEW;
                END;
                $body$;
                CREATE FUNCTION answer() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 42; END;
                CREATE TABLE notes (note text DEFAULT E'it\'s; COMMIT');
                """)
            .Add("0002_sneaky_commit.up.sql", "CREATE TABLE first_half (x int);\n  commit;\nCREATE TABLE second_half (x int);\n");

        var refusal = await Assert.ThrowsAsync<MigrationException>(() => Migrator.PlanAsync(db.Url, folder.Path, null, Options, default));

        Assert.StartsWith("0002_sneaky_commit.up.sql line 2 has 'commit': the migrator runs each script in its own transaction", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(await db.TablesAsync());

        folder.Remove("0002_sneaky_commit.up.sql");
        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder.Path, null, Options, default), _ => { }, default);
        Assert.Equal(["1|functions"], await db.HistoryAsync());
        Assert.Equal(["notes", "schema_migrations"], await db.TablesAsync());
        Assert.Equal(["42"], await db.RowsAsync("SELECT answer()"));
        Assert.Equal(["it's; COMMIT"], await db.RowsAsync("INSERT INTO notes DEFAULT VALUES RETURNING note"));
    }

    [PostgresFact]
    public async Task The_password_appears_in_no_log_line_plan_result_or_error()
    {
        await using var db = await TestDatabase.CreateAsync();
        // The server's message quotes the bad value, here the password itself: the migrator must mask it.
        using var folder = MigrationFolder.Widgets().Add("0004_fails.up.sql", "SELECT 'pw-7f3a9c'::integer;\n");
        const string password = "pw-7f3a9c";
        var url = db.UrlWithPassword(password); // the test server trusts loopback, so any password connects
        var seen = new List<string>();

        var plan = await Migrator.PlanAsync(url, folder.Path, 3, Options, default);
        seen.AddRange(plan.Describe());
        seen.Add(plan.Database.ToString());
        var result = await Migrator.ApplyAsync(plan, seen.Add, default);
        seen.Add(result.ToString());
        var failure = await Assert.ThrowsAsync<MigrationScriptException>(
            async () => await Migrator.ApplyAsync(await Migrator.PlanAsync(url, folder.Path, null, Options, default), seen.Add, default));
        seen.Add(failure.Message);
        var unknownDatabase = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator.PlanAsync(url.Replace(db.Name, "no_such_db", StringComparison.Ordinal), folder.Path, null, Options, default));
        seen.Add(unknownDatabase.Message);
        var unreachable = await Assert.ThrowsAsync<MigrationException>(
            () => Migrator.PlanAsync($"postgres://slipway:{password}@127.0.0.1:1/x", folder.Path, null, Options, default));
        seen.Add(unreachable.Message);

        Assert.Contains($"cannot connect to PostgreSQL at slipway@127.0.0.1:55432/no_such_db: database \"no_such_db\" does not exist (SQLSTATE 3D000)", seen);
        Assert.Equal("cannot connect to PostgreSQL at slipway@127.0.0.1:1/x: Failed to connect to 127.0.0.1:1 (Connection refused)", unreachable.Message);
        Assert.Contains(seen, line => line.StartsWith("0004_fails.up.sql failed at line 1", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, line => line.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(seen, line => line.Contains('\n', StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_server_refusal_outside_a_script_is_one_line_naming_the_database()
    {
        var db = await TestDatabase.CreateAsync();
        var role = $"r_{Guid.NewGuid():N}";
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN"); // since PostgreSQL 15 only the owner may create in schema public
        try
        {
            using var folder = MigrationFolder.Widgets();
            var url = db.Url.Replace("slipway:slipway@", $"{role}:x@", StringComparison.Ordinal);
            var plan = await Migrator.PlanAsync(url, folder.Path, null, Options, default);

            var failure = await Assert.ThrowsAsync<MigrationException>(() => Migrator.ApplyAsync(plan, _ => { }, default));

            Assert.Equal(
                $"PostgreSQL at {role}@127.0.0.1:55432/{db.Name} failed while migrating: permission denied for schema public (SQLSTATE 42501)",
                failure.Message);
        }
        finally
        {
            await db.DisposeAsync();
            await TestDatabase.ExecuteOnServerAsync($"DROP ROLE {role}");
        }
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static async Task WaitForLockHolderAsync(TestDatabase db)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await db.RowsAsync(
                   $"SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = '{Migrator.ApplicationName}'"))
               .Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first migrator never took the lock");
            await Task.Delay(20);
        }
    }

    private static async Task<IReadOnlyList<string>> SnapshotAtAsync(MigrationFolder folder, long version)
    {
        await using var reference = await TestDatabase.CreateAsync();
        await Migrator.ApplyAsync(await Migrator.PlanAsync(reference.Url, folder.Path, version, Options, default), _ => { }, default);
        return await reference.SchemaSnapshotAsync();
    }
}
