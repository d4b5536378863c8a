using System.Diagnostics;
using System.Globalization;

namespace Api.Tests.Support;

/// <summary>How a test's own redis-server is set up: no password, requirepass, an ACL user, TLS.</summary>
public sealed record OwnRedisOptions
{
    public string? RequirePass { get; init; }

    /// <summary>An ACL user (<c>user NAME on &gt;PASSWORD ~* +@all</c>); the default user is then switched off.</summary>
    public (string Name, string Password)? AclUser { get; init; }

    public int Database { get; init; }

    /// <summary>Listen with TLS only, on a certificate signed by a CA of the fixture's own (<see cref="OwnRedisServer.CaFile"/>).</summary>
    public bool Tls { get; init; }
}

/// <summary>
/// A redis-server of the test's own on a free loopback port, in a temporary folder with its config (and,
/// for TLS, certificates made with openssl). Stopped (SIGKILL, by pid) and its folder removed on dispose.
/// </summary>
public sealed class OwnRedisServer : IDisposable
{
    private readonly string folder;
    private readonly OwnRedisOptions options;
    private Process? process;

    private OwnRedisServer(string folder, int port, OwnRedisOptions options)
    {
        this.folder = folder;
        this.options = options;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The PEM of the CA that signed the server's certificate (TLS only).</summary>
    public string CaFile => Path.Combine(folder, "ca.crt");

    /// <summary>REDIS_URL for this server, credentials and database included.</summary>
    public string Url
    {
        get
        {
            var credentials = options switch
            {
                { AclUser: var (name, password) } => $"{Uri.EscapeDataString(name)}:{Uri.EscapeDataString(password)}@",
                { RequirePass: { } password } => $":{Uri.EscapeDataString(password)}@",
                _ => "",
            };
            return $"{(options.Tls ? "rediss" : "redis")}://{credentials}127.0.0.1:{Port}/{options.Database}";
        }
    }

    public static async Task<OwnRedisServer> StartAsync(OwnRedisOptions? options = null)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-redis-").FullName;
        var server = new OwnRedisServer(folder, FreePort.Next(), options ?? new OwnRedisOptions());
        try
        {
            if (server.options.Tls)
                await server.MakeCertificatesAsync();
            await File.WriteAllTextAsync(Path.Combine(folder, "redis.conf"), server.Config());
            await server.StartProcessAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server (as a crash would); <see cref="RestartAsync"/> brings it back on the same port, empty.</summary>
    public void Kill()
    {
        if (process is null)
            return;
        if (!process.HasExited)
            process.Kill();
        process.WaitForExit();
        process.Dispose();
        process = null;
    }

    /// <summary>SIGSTOP: connections stay open, nothing is answered (a hung server); <see cref="Thaw"/> resumes it.</summary>
    public void Freeze() => Signal("-STOP");

    public void Thaw() => Signal("-CONT");

    public Task RestartAsync()
    {
        Kill();
        return StartProcessAsync();
    }

    public void Dispose()
    {
        Kill();
        Directory.Delete(folder, recursive: true);
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, process!.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private string Config()
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        var lines = new List<string> { "bind 127.0.0.1", $"dir {folder}", "save \"\"", "appendonly no", "databases 16" };
        if (options.Tls)
        {
            lines.AddRange(["port 0", $"tls-port {port}", $"tls-cert-file {folder}/server.crt", $"tls-key-file {folder}/server.key",
                $"tls-ca-cert-file {CaFile}", "tls-auth-clients no"]);
        }
        else
        {
            lines.Add($"port {port}");
        }

        if (options.RequirePass is { } password)
            lines.Add($"requirepass {password}");
        if (options.AclUser is var (user, userPassword))
            lines.AddRange([$"user {user} on >{userPassword} ~* +@all", "user default off"]);
        return string.Join('\n', lines) + "\n";
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(folder, "redis.conf"));
        var started = Process.Start(info)!;
        process = started;
        var log = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        started.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (log)
                log.Add(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
                ready.TrySetResult();
        };
        started.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.Add(e.Data); };
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        var exited = started.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(20))) != ready.Task)
        {
            lock (log)
                throw new InvalidOperationException("redis-server did not start:\n" + string.Join('\n', log));
        }
    }

    private async Task MakeCertificatesAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        await OpensslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=Slipway test Redis CA");
        await OpensslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        await OpensslAsync("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "1", "-extfile", "server.ext");
    }

    private async Task OpensslAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("openssl") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var openssl = Process.Start(info)!;
        var stderr = openssl.StandardError.ReadToEndAsync();
        await openssl.StandardOutput.ReadToEndAsync();
        await openssl.WaitForExitAsync();
        if (openssl.ExitCode != 0)
            throw new InvalidOperationException($"openssl {arguments[0]} failed: {await stderr}");
    }
}

/// <summary>A fact that starts its own redis-server (openssl makes its TLS certificates) and needs the test PostgreSQL.</summary>
public sealed class OwnRedisFactAttribute : RealServerFactAttribute
{
    public OwnRedisFactAttribute()
    {
        Needs(ToolFactAttribute.OnPath("redis-server") && ToolFactAttribute.OnPath("openssl"), "redis-server or openssl (not on PATH)", RealServers.InstallTools);
        Needs(RealServers.TcpReachable(RealServers.DatabaseUrl), "PostgreSQL (SLIPWAY_TEST_DATABASE_URL)", RealServers.StartAll + " (or bash .ci/postgres.sh start)");
    }
}
