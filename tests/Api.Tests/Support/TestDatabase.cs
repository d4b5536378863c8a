using Api.Configuration;
using Npgsql;

namespace Api.Tests.Support;

/// <summary>
/// A fresh database on the test PostgreSQL server, dropped on dispose, with the service's up
/// migrations (src/Api/Migrations/*.up.sql, copied next to the tests) applied in file-name order.
/// This is a test helper, not the migrator: the real runner lives in Slipway.Delivery.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string adminConnectionString;

    private TestDatabase(string name, string url, string adminConnectionString)
    {
        Name = name;
        Url = url;
        this.adminConnectionString = adminConnectionString;
        ConnectionString = ApiSettings.ParseDatabaseUrl(url);
    }

    public string Name { get; }

    /// <summary>postgres://... pointing at this database, as DATABASE_URL would.</summary>
    public string Url { get; }

    public string ConnectionString { get; }

    public static string MigrationsFolder => Path.Combine(AppContext.BaseDirectory, "Migrations");

    public static async Task<TestDatabase> CreateAsync(bool migrate = true)
    {
        var serverUrl = RealServers.DatabaseUrl ?? throw new InvalidOperationException("SLIPWAY_TEST_DATABASE_URL is not set");
        var name = "api_test_" + Guid.NewGuid().ToString("N")[..12];
        var admin = ApiSettings.ParseDatabaseUrl(serverUrl);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var database = new TestDatabase(name, new UriBuilder(serverUrl) { Path = "/" + name }.Uri.ToString(), admin);
        if (migrate)
            await database.RunScriptsAsync(".up.sql");
        return database;
    }

    /// <summary>Runs every migration script ending in <paramref name="suffix"/>; down scripts run newest first.</summary>
    public async Task RunScriptsAsync(string suffix)
    {
        var scripts = Directory.GetFiles(MigrationsFolder, "*" + suffix).Order(StringComparer.Ordinal).ToList();
        if (suffix.Contains("down", StringComparison.Ordinal))
            scripts.Reverse();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var script in scripts)
        {
            await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(script), connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (parameterName, value) in parameters)
            command.Parameters.AddWithValue(parameterName, value);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
