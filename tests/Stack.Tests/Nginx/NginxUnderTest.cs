using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Slipway.Stack.Tests.Infrastructure;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>
/// A real nginx running the repository's nginx/ configuration on 127.0.0.1 at free ports, with a
/// temporary prefix. The production files are copied unchanged except for a few named substitutions
/// (listen ports, runtime paths, the upstream address); each must match, so a change to the
/// production config that would silently bypass the test fails here instead.
/// </summary>
public sealed partial class NginxUnderTest : IAsyncDisposable
{
    private readonly Process process;

    private NginxUnderTest(string directory, int httpPort, int httpsPort, int checkPort, Process process)
    {
        Directory = directory;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
        CheckPort = checkPort;
        this.process = process;
        CertificateAuthority = X509CertificateLoader.LoadCertificateFromFile(System.IO.Path.Combine(directory, "certs", "ca.crt"));
    }

    /// <summary>The rendered copy of nginx/ (also nginx's prefix).</summary>
    public string Directory { get; }

    public int HttpPort { get; }

    public int HttpsPort { get; }

    /// <summary>The deploy's check listener (nginx/sites/checks.conf, 127.0.0.1:8081 in the container).</summary>
    public int CheckPort { get; }

    /// <summary>The CA made by nginx/gen-certs.sh for this run; clients trust only it.</summary>
    public X509Certificate2 CertificateAuthority { get; }

    public string CertificateAuthorityPath => System.IO.Path.Combine(Directory, "certs", "ca.crt");

    public string ErrorLog => ReadLog("error.log");

    public string AccessLog => ReadLog("access.log");

    /// <summary>Copies nginx/ into a temp folder, renders it for the test and runs `nginx -t`.</summary>
    /// <param name="upstreamPort">Where the API upstream listens on 127.0.0.1.</param>
    /// <param name="extraEdits">Further (file, from, to) substitutions, for negative controls.</param>
    public static async Task<RenderedNginx> RenderAsync(int upstreamPort, params (string File, string From, string To)[] extraEdits)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("slipway-nginx-").FullName;
        // Worker processes run as an unprivileged user when the tests run as root.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, (UnixFileMode)Convert.ToInt32("755", 8));
        CopyTree(RepositoryRoot.Combine("nginx"), directory);
        var run = System.IO.Path.Combine(directory, "run");
        System.IO.Directory.CreateDirectory(run);

        var certs = await Command.RunAsync("bash", [RepositoryRoot.Combine("nginx", "gen-certs.sh"), System.IO.Path.Combine(directory, "certs")], TimeSpan.FromSeconds(60));
        if (!certs.Succeeded)
            throw new InvalidOperationException(certs.Describe());

        int httpPort = FreePort.Next(), httpsPort = FreePort.Next(), checkPort = FreePort.Next();
        (string File, string From, string To)[] edits =
        [
            ("nginx.conf", "/tmp/", run + "/"),
            ("nginx.conf", "error_log stderr", $"error_log {run}/error.log"),
            ("nginx.conf", "access_log /dev/stdout", $"access_log {run}/access.log"),
            ("sites/edge.conf", "listen 8080 ", $"listen 127.0.0.1:{httpPort} "),
            ("sites/edge.conf", "listen 8443 ", $"listen 127.0.0.1:{httpsPort} "),
            ("sites/checks.conf", "listen 127.0.0.1:8081 ", $"listen 127.0.0.1:{checkPort} "),
            ("upstreams/api.conf", "server api:8080;", $"server 127.0.0.1:{upstreamPort};"),
            .. extraEdits,
        ];
        foreach (var (file, from, to) in edits)
        {
            var path = System.IO.Path.Combine(directory, file);
            var text = await File.ReadAllTextAsync(path);
            if (!text.Contains(from, StringComparison.Ordinal))
                throw new InvalidOperationException($"nginx/{file} no longer contains '{from}'; update NginxUnderTest to the new production config");
            await File.WriteAllTextAsync(path, text.Replace(from, to, StringComparison.Ordinal));
        }

        var check = await Command.RunAsync("nginx", ["-t", "-p", directory + "/", "-c", System.IO.Path.Combine(directory, "nginx.conf")], TimeSpan.FromSeconds(30));
        return new RenderedNginx(directory, httpPort, httpsPort, checkPort, check);
    }

    public static async Task<NginxUnderTest> StartAsync(int upstreamPort, params (string File, string From, string To)[] extraEdits)
    {
        var rendered = await RenderAsync(upstreamPort, extraEdits);
        if (!rendered.ConfigTest.Succeeded)
        {
            rendered.Dispose();
            throw new InvalidOperationException("nginx -t failed: " + rendered.ConfigTest.Describe());
        }

        var info = new ProcessStartInfo("nginx") { UseShellExecute = false };
        foreach (var argument in new[] { "-p", rendered.Directory + "/", "-c", rendered.ConfigPath, "-g", "daemon off;" })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start nginx");
        var nginx = new NginxUnderTest(rendered.Directory, rendered.HttpPort, rendered.HttpsPort, rendered.CheckPort, process);
        try
        {
            await FreePort.WaitUntilListeningAsync(nginx.HttpsPort, TimeSpan.FromSeconds(15), () => nginx.ErrorLog);
            return nginx;
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// What the blue-green deploy does: rewrite upstreams/api.conf to point at another address, then
    /// `nginx -s reload` (a graceful reload: old workers finish their requests).
    /// </summary>
    public async Task SwitchUpstreamAsync(int upstreamPort)
    {
        var include = System.IO.Path.Combine(Directory, "upstreams", "api.conf");
        var text = await File.ReadAllTextAsync(include);
        var rewritten = UpstreamServerLine().Replace(text, $"server 127.0.0.1:{upstreamPort};");
        if (rewritten == text)
            throw new InvalidOperationException($"no server line to rewrite in {include}");
        await File.WriteAllTextAsync(include, rewritten);
        var reload = await Command.RunAsync("nginx", ["-p", Directory + "/", "-c", System.IO.Path.Combine(Directory, "nginx.conf"), "-s", "reload"], TimeSpan.FromSeconds(10));
        if (!reload.Succeeded)
            throw new InvalidOperationException(reload.Describe());
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // A graceful quit lets the master stop its workers; kill the tree only if that stalls.
            await Command.RunAsync("nginx", ["-p", Directory + "/", "-c", System.IO.Path.Combine(Directory, "nginx.conf"), "-s", "quit"], TimeSpan.FromSeconds(10));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process.Dispose();
        CertificateAuthority.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private string ReadLog(string name)
    {
        var path = System.IO.Path.Combine(Directory, "run", name);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"server 127\.0\.0\.1:\d+;")]
    private static partial System.Text.RegularExpressions.Regex UpstreamServerLine();

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            if (System.IO.Path.GetFileName(dir) != "certs")
                System.IO.Directory.CreateDirectory(System.IO.Path.Combine(to, System.IO.Path.GetRelativePath(from, dir)));
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(from, file);
            if (!relative.StartsWith("certs" + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                File.Copy(file, System.IO.Path.Combine(to, relative));
        }
    }
}

/// <summary>A rendered test copy of the nginx configuration and the outcome of `nginx -t` on it.</summary>
public sealed record RenderedNginx(string Directory, int HttpPort, int HttpsPort, int CheckPort, CommandResult ConfigTest) : IDisposable
{
    public string ConfigPath => Path.Combine(Directory, "nginx.conf");

    /// <summary>Deletes the copy (when it was only checked, never started).</summary>
    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
