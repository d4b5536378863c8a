using System.Runtime.Versioning;
using Slipway.Delivery.Environments;

namespace Slipway.Delivery.Tests.Deployment;

[UnsupportedOSPlatform("windows")]
public sealed class SecretValuesTests : IDisposable
{
    private const string Json = """
        {
          "registry": { "kind": "basic", "address": "registry.example:5000", "user": "deploy", "passwordVariable": "REGISTRY_PASSWORD" },
          "strategy": "single-host",
          "project": "slipway",
          "publicUrl": "https://localhost:8443",
          "compose": { "files": ["docker/compose/docker-compose.yml"], "appService": "api", "proxyService": "nginx",
                       "upstreamFile": "/etc/nginx/upstreams/api.conf", "appPort": 8080 },
          "secrets": ["POSTGRES_PASSWORD"],
          "health": { "timeoutSeconds": 60 },
          "smoke": { "timeoutSeconds": 30, "retries": 5, "initialBackoffMilliseconds": 200 }
        }
        """;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string root = Directory.CreateTempSubdirectory("slipway-secrets-").FullName;
    private readonly List<string> log = [];

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static DeployEnvironment Staging => EnvironmentFile.Parse(Json, EnvironmentName.Staging, ".nuke/environments/staging.json");

    private static DeployEnvironment Local => EnvironmentFile.Parse(Json.Replace("\"secrets\"", "\"generateMissingSecrets\": true, \"secrets\"", StringComparison.Ordinal), EnvironmentName.Local, ".nuke/environments/local.json");

    private string KeptFile => Path.Combine(root, ".nuke/secrets/local.env");

    [Fact]
    public void A_missing_secret_is_refused_before_anything_runs_naming_the_file_unless_it_may_be_generated()
    {
        var error = Assert.Throws<EnvironmentFileException>(() => SecretValues.EnsureAvailable(Staging, _ => ""));
        Assert.Equal(".nuke/environments/staging.json: secret POSTGRES_PASSWORD is not set: export it from your secret store before deploying staging (never write its value into the file)", error.Message);

        SecretValues.EnsureAvailable(Staging, name => name == "POSTGRES_PASSWORD" ? "from-the-store" : null);
        SecretValues.EnsureAvailable(Local, _ => null);
        Assert.False(Directory.Exists(Path.Combine(root, ".nuke")));
    }

    [Fact]
    public void A_basic_registry_without_its_password_is_refused_unless_the_local_bootstrap_keeps_one()
    {
        var error = Assert.Throws<EnvironmentFileException>(() => SecretValues.EnsureRegistryPassword(Staging, _ => ""));
        Assert.Equal(".nuke/environments/staging.json: registry.passwordVariable REGISTRY_PASSWORD is not set: export REGISTRY_PASSWORD with the password for registry.example:5000 from your secret store", error.Message);

        SecretValues.EnsureRegistryPassword(Staging, name => name == "REGISTRY_PASSWORD" ? "from-the-store" : null);
        SecretValues.EnsureRegistryPassword(Local with { Bootstrap = true }, _ => null);
        SecretValues.EnsureRegistryPassword(Staging with { Registry = new RegistrySettings(RegistryKind.Ecr, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS", null, "eu-west-1", "123456789012") }, _ => null);
    }

    [Fact]
    public void A_generated_secret_is_kept_outside_the_temp_folder_for_the_owner_only_and_reused_after_it_is_wiped()
    {
        var first = SecretValues.Resolve(Local, root, _ => null, log.Add)["POSTGRES_PASSWORD"];
        Directory.CreateDirectory(Path.Combine(root, ".nuke/temp"));
        Directory.Delete(Path.Combine(root, ".nuke/temp"), recursive: true);
        var second = SecretValues.Resolve(Local, root, _ => null, log.Add)["POSTGRES_PASSWORD"];

        Assert.Equal(first, second);
        Assert.Equal(["secret POSTGRES_PASSWORD: generated for local, kept in .nuke/secrets/local.env"], log);
        Assert.Contains($"POSTGRES_PASSWORD={first}\n", File.ReadAllText(KeptFile), StringComparison.Ordinal);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(KeptFile));
        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(KeptFile)!));

        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(KeptFile)!));
    }

    [Fact]
    public void A_dry_run_says_it_would_generate_a_secret_and_keeps_nothing_nor_moves_the_former_file()
    {
        SecretValues.Resolve(Local, root, _ => null, log.Add, dryRun: true);
        Assert.Equal(["secret POSTGRES_PASSWORD: would be generated for local and kept in .nuke/secrets/local.env"], log);
        Assert.False(Directory.Exists(Path.Combine(root, ".nuke")));

        var former = Path.Combine(root, ".nuke/temp/secrets/local.json");
        Directory.CreateDirectory(Path.GetDirectoryName(former)!);
        File.WriteAllText(former, """{"POSTGRES_PASSWORD":"the-volume-knows-this-one"}""");
        Assert.Equal("the-volume-knows-this-one", SecretValues.Resolve(Local, root, _ => null, log.Add, dryRun: true)["POSTGRES_PASSWORD"]);
        Assert.True(File.Exists(former));
        Assert.False(File.Exists(KeptFile));
    }

    [Fact]
    public void A_secret_kept_in_the_former_temp_location_is_moved_and_still_used()
    {
        var former = Path.Combine(root, ".nuke/temp/secrets/local.json");
        Directory.CreateDirectory(Path.GetDirectoryName(former)!);
        File.WriteAllText(former, """{"POSTGRES_PASSWORD":"the-volume-knows-this-one"}""");

        var value = SecretValues.Resolve(Local, root, _ => null, log.Add)["POSTGRES_PASSWORD"];

        Assert.Equal("the-volume-knows-this-one", value);
        Assert.False(File.Exists(former));
        Assert.Contains("POSTGRES_PASSWORD=the-volume-knows-this-one\n", File.ReadAllText(KeptFile), StringComparison.Ordinal);
        Assert.Equal(["secrets: moved .nuke/temp/secrets/local.json to .nuke/secrets/local.env (kept outside .nuke/temp, which may be wiped)"], log);
        Assert.Equal(value, SecretValues.Resolve(Local, root, _ => null, log.Add)["POSTGRES_PASSWORD"]);
    }

    [Fact]
    public void A_secret_from_the_process_wins_and_writes_nothing()
    {
        var value = SecretValues.Resolve(Local, root, name => name == "POSTGRES_PASSWORD" ? "from-the-shell" : null, log.Add)["POSTGRES_PASSWORD"];
        Assert.Equal("from-the-shell", value);
        Assert.False(File.Exists(KeptFile));
        Assert.Empty(log);
    }

    [Fact]
    public async Task An_owner_only_file_is_replaced_whole_so_a_reader_never_sees_part_of_it()
    {
        var file = Path.Combine(root, "secrets", "kept.env");
        var contents = new[] { new string('a', 256 * 1024), new string('b', 200 * 1024) };
        OwnerOnlyFile.Write(file, contents[0]);
        using var done = new CancellationTokenSource();
        var seen = new List<int>();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var text = File.ReadAllText(file);
                seen.Add(Array.IndexOf(contents, text));
                Interlocked.Increment(ref reads);
            }
        });

        // At least 300 replacements, and as many as it takes for the reader (late on a busy machine) to read during them.
        for (var i = 1; i <= 300 || (Volatile.Read(ref reads) < 50 && i < 100_000) || (i - 1) % 2 == 1; i++)
            OwnerOnlyFile.Write(file, contents[i % 2]);
        done.Cancel();
        await reader;

        Assert.NotEmpty(seen);
        Assert.DoesNotContain(-1, seen);
        Assert.Equal(contents[0], File.ReadAllText(file));
        Assert.Equal([file], Directory.GetFiles(Path.GetDirectoryName(file)!));
    }

    [Fact]
    public async Task An_owner_only_file_is_never_readable_by_others_not_even_while_it_is_written()
    {
        var folder = Path.Combine(root, "secrets");
        Directory.CreateDirectory(folder);
        using var done = new CancellationTokenSource();
        var modes = new List<UnixFileMode>();
        var watcher = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                foreach (var path in Directory.GetFiles(folder))
                {
                    try
                    {
                        modes.Add(File.GetUnixFileMode(path));
                    }
                    catch (FileNotFoundException)
                    {
                        // renamed away between the listing and the look: the next listing sees its new name
                    }
                }
            }
        });

        for (var i = 0; i < 200; i++)
            OwnerOnlyFile.Write(Path.Combine(folder, $"{i}.env"), new string('s', 64 * 1024));
        done.Cancel();
        await watcher;

        Assert.NotEmpty(modes);
        Assert.All(modes, mode => Assert.Equal(OwnerReadWrite, mode));
    }
}
