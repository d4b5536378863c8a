using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// The actions a generated workflow may use, each by its documented contract (its action.yml and README): inputs it
/// does not know fail the step, and any other <c>uses:</c> fails loudly, naming it.
/// </summary>
internal static class EmulatedActions
{
    public static Task<bool> RunAsync(SimulatedJob job, string uses, IReadOnlyDictionary<string, string> with, Dictionary<string, string> outputs, CancellationToken cancellation)
    {
        var action = uses.Split('@')[0];
        return action switch
        {
            "actions/checkout" => CheckoutAsync(job, Inputs(action, with, "persist-credentials", "fetch-depth"), cancellation),
            "actions/setup-dotnet" => SetupDotnetAsync(job, Inputs(action, with, "global-json-file", "dotnet-version"), outputs),
            "actions/cache" => CacheAsync(job, Inputs(action, with, "path", "key", "restore-keys"), outputs),
            "actions/upload-artifact" => UploadArtifactAsync(job, Inputs(action, with, "name", "path", "if-no-files-found", "retention-days")),
            "actions/download-artifact" => DownloadArtifactAsync(job, Inputs(action, with, "name", "path")),
            "aws-actions/configure-aws-credentials" => ConfigureAwsCredentialsAsync(job, Inputs(action, with, "role-to-assume", "aws-region", "role-session-name", "audience"), outputs),
            "github/codeql-action/upload-sarif" => UploadSarifAsync(job, Inputs(action, with, "sarif_file", "category")),
            _ => throw new WorkflowSimulationException($"uses: {uses} is not emulated by the workflow simulator (emulated: actions/checkout, actions/setup-dotnet, actions/cache, actions/upload-artifact, actions/download-artifact, aws-actions/configure-aws-credentials, github/codeql-action/upload-sarif)"),
        };
    }

    private static IReadOnlyDictionary<string, string> Inputs(string action, IReadOnlyDictionary<string, string> with, params string[] known)
    {
        foreach (var input in with.Keys.Where(k => !known.Contains(k)))
            throw new WorkflowSimulationException($"{action}: input '{input}' is not emulated (known: {string.Join(", ", known)})");
        return with;
    }

    private static string Required(IReadOnlyDictionary<string, string> with, string action, string name) =>
        with.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new WorkflowSimulationException($"{action}: Input required and not supplied: {name}");

    private static IReadOnlyList<string> Lines(string value) =>
        [.. value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];

    /// <summary>actions/checkout: the repository at the run's commit in GITHUB_WORKSPACE, a fresh clone (no token here to persist).</summary>
    private static async Task<bool> CheckoutAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with, CancellationToken cancellation)
    {
        if (Directory.EnumerateFileSystemEntries(job.Workspace).Any())
            throw new WorkflowSimulationException($"actions/checkout: {job.Workspace} is not empty");
        await Shell.RunAsync("git", ["clone", "-q", "--no-checkout", job.Run.GitHub.Origin, job.Workspace]);
        await Shell.RunAsync("git", ["-c", "advice.detachedHead=false", "checkout", "-q", job.Run.Trigger.Sha], job.Workspace);
        job.Write($"checked out {job.Run.Trigger.Sha} into {job.Workspace}");
        cancellation.ThrowIfCancellationRequested();
        return true;
    }

    /// <summary>
    /// actions/setup-dotnet: with global-json-file, the SDK global.json asks for (rollForward latestFeature: same major.minor,
    /// feature band at least as high). A runner lacking it would download it; here nothing can be downloaded, so it must be installed.
    /// </summary>
    private static async Task<bool> SetupDotnetAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with, Dictionary<string, string> outputs)
    {
        var file = job.ResolvePath(Required(with, "actions/setup-dotnet", "global-json-file"));
        if (!File.Exists(file))
            throw new WorkflowSimulationException($"actions/setup-dotnet: The specified global.json file '{with["global-json-file"]}' does not exist");
        var sdk = JsonNode.Parse(await File.ReadAllTextAsync(file))?["sdk"];
        var wanted = Version.Parse(sdk?["version"]?.GetValue<string>() ?? throw new WorkflowSimulationException("actions/setup-dotnet: global.json has no sdk.version"));
        var installed = (await Shell.RunAsync("dotnet", ["--list-sdks"]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0])
            .Where(v => Version.TryParse(v, out _))
            .Select(Version.Parse)
            .ToList();
        var match = installed.Where(v => v.Major == wanted.Major && v.Minor == wanted.Minor && v.Build >= wanted.Build).Max();
        if (match is null)
            throw new WorkflowSimulationException($"actions/setup-dotnet: global.json asks for SDK {wanted} (latestFeature); this runner has {string.Join(", ", installed)} and cannot download");
        job.Export("DOTNET_ROOT", "/usr/share/dotnet");
        job.AddPath("/usr/share/dotnet");
        outputs["dotnet-version"] = match.ToString();
        job.Write($"using .NET SDK {match} for global.json's {wanted}");
        return true;
    }

    /// <summary>actions/cache: restore now (exact key, else restore-keys by prefix), save at the end of a successful job unless the key hit.</summary>
    private static async Task<bool> CacheAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with, Dictionary<string, string> outputs)
    {
        var key = Required(with, "actions/cache", "key");
        var paths = Lines(Required(with, "actions/cache", "path")).Select(job.ResolvePath).ToList();
        var restoreKeys = with.TryGetValue("restore-keys", out var keys) ? Lines(keys) : [];
        var store = job.Run.GitHub.Cache;
        var hit = store.Find(key, restoreKeys);
        if (hit is { } entry)
        {
            await CacheStore.RestoreAsync(entry.Folder, paths);
            outputs["cache-hit"] = (entry.Key == key).ToString().ToLowerInvariant();
            outputs["cache-matched-key"] = entry.Key;
            job.Write($"Cache restored from key: {entry.Key}");
        }
        else
        {
            outputs["cache-hit"] = "false";
            job.Write($"Cache not found for input keys: {string.Join(", ", restoreKeys.Prepend(key))}");
        }

        if (hit?.Key != key)
        {
            job.AddPostStep("actions/cache", async () =>
            {
                await store.SaveAsync(key, paths);
                job.Write($"Cache saved with key: {key}");
            });
        }

        return true;
    }

    /// <summary>
    /// actions/upload-artifact v4+: the files under the paths, relative to the paths' least common ancestor; a name may be
    /// uploaded once per run; if-no-files-found warn (default), error or ignore; hidden files left out, as since v4.4.
    /// </summary>
    private static async Task<bool> UploadArtifactAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with)
    {
        var name = with.GetValueOrDefault("name") is { Length: > 0 } given ? given : "artifact";
        var paths = Lines(Required(with, "actions/upload-artifact", "path"));
        if (paths.Any(Glob.HasWildcard) || paths.Any(p => p.StartsWith('!')))
            throw new WorkflowSimulationException($"actions/upload-artifact: wildcard and exclude paths are not emulated ({string.Join(", ", paths)})");
        var full = paths.Select(job.ResolvePath).ToList();
        var files = full.SelectMany(p => File.Exists(p) ? [p] : Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [])
            .Where(f => !f.Split('/').Any(part => part.StartsWith('.') && part.Length > 1 && !full.Any(p => p.EndsWith(part, StringComparison.Ordinal))))
            .Distinct()
            .ToList();
        if (files.Count == 0)
        {
            var mode = with.GetValueOrDefault("if-no-files-found") ?? "warn";
            var message = $"No files were found with the provided path: {string.Join(", ", paths)}. No artifacts will be uploaded.";
            switch (mode)
            {
                case "error": throw new WorkflowSimulationException(message);
                case "warn": job.Write($"::warning::{message}"); return true;
                case "ignore": return true;
                default: throw new WorkflowSimulationException($"actions/upload-artifact: if-no-files-found: {mode} is not one of warn, error, ignore");
            }
        }

        var roots = full.Select(p => File.Exists(p) ? Path.GetDirectoryName(p)! : p).ToList();
        var ancestor = roots.Count == 1 ? roots[0] : CommonAncestor(roots);
        if (!job.Run.Artifacts.TryCreate(name, out var folder))
            throw new WorkflowSimulationException($"actions/upload-artifact: Failed to CreateArtifact: an artifact with this name already exists on the workflow run ({name})");
        foreach (var file in files)
        {
            var target = Path.Combine(folder, Path.GetRelativePath(ancestor, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        job.Write($"Artifact {name} has been successfully uploaded ({files.Count} file(s))");
        await Task.CompletedTask;
        return true;
    }

    private static string CommonAncestor(IReadOnlyList<string> folders)
    {
        var parts = folders.Select(f => f.Split('/')).ToList();
        var common = parts[0].TakeWhile((part, i) => parts.All(p => p.Length > i && p[i] == part)).ToArray();
        return string.Join('/', common);
    }

    /// <summary>actions/download-artifact v4+: the named artifact of this run into path (default GITHUB_WORKSPACE); a missing name fails.</summary>
    private static async Task<bool> DownloadArtifactAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with)
    {
        var target = job.ResolvePath(with.GetValueOrDefault("path") is { Length: > 0 } p ? p : ".");
        var names = with.GetValueOrDefault("name") is { Length: > 0 } name ? [name] : job.Run.Artifacts.Names;
        foreach (var artifact in names)
        {
            var folder = job.Run.Artifacts.FolderOf(artifact);
            if (!Directory.Exists(folder))
                throw new WorkflowSimulationException($"actions/download-artifact: Unable to download artifact(s): Artifact not found for name: {artifact}");
            var into = names.Count == 1 && with.ContainsKey("name") ? target : Path.Combine(target, artifact);
            Directory.CreateDirectory(into);
            await Shell.RunAsync("cp", ["-a", folder + "/.", into]);
            job.Write($"Artifact {artifact} downloaded to {into}");
        }

        return true;
    }

    /// <summary>
    /// aws-actions/configure-aws-credentials with role-to-assume and no keys: GitHub's OIDC token for the job (which needs
    /// permissions id-token: write) exchanged with STS AssumeRoleWithWebIdentity; the credentials and region exported as the
    /// action exports them, and masked. Here STS is the test's fake on 127.0.0.1.
    /// </summary>
    private static async Task<bool> ConfigureAwsCredentialsAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with, Dictionary<string, string> outputs)
    {
        const string action = "aws-actions/configure-aws-credentials";
        var region = Required(with, action, "aws-region");
        var role = Required(with, action, "role-to-assume");
        if (!job.MayRequestIdToken)
            throw new WorkflowSimulationException($"{action}: It looks like you might be trying to authenticate with OIDC. Did you mean to set the `id-token` permission? (job {job.Spec.Id})");
        var sts = job.Run.GitHub.Sts ?? throw new WorkflowSimulationException($"{action}: the simulated GitHub has no STS (no AWS account trusts this repository)");
        var token = OidcToken(job, with.GetValueOrDefault("audience") ?? "sts.amazonaws.com");
        using var http = new HttpClient();
        using var response = await http.PostAsync(sts.Url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity",
            ["Version"] = "2011-06-15",
            ["RoleArn"] = role,
            ["RoleSessionName"] = with.GetValueOrDefault("role-session-name") ?? "GitHubActions",
            ["WebIdentityToken"] = token,
            ["DurationSeconds"] = "3600",
        }));
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        XNamespace ns = "https://sts.amazonaws.com/doc/2011-06-15/";
        if (!response.IsSuccessStatusCode)
            throw new WorkflowSimulationException($"{action}: Could not assume role with OIDC: {xml.Descendants(ns + "Message").FirstOrDefault()?.Value}");
        var credentials = xml.Descendants(ns + "Credentials").Single();
        string Field(string name) => credentials.Element(ns + name)!.Value;
        foreach (var (name, value) in new[]
        {
            ("AWS_ACCESS_KEY_ID", Field("AccessKeyId")),
            ("AWS_SECRET_ACCESS_KEY", Field("SecretAccessKey")),
            ("AWS_SESSION_TOKEN", Field("SessionToken")),
        })
        {
            job.Mask(value);
            job.Export(name, value);
        }

        job.Export("AWS_REGION", region);
        job.Export("AWS_DEFAULT_REGION", region);
        outputs["aws-account-id"] = role.Split(':') is { Length: > 4 } arn ? arn[4] : "";
        job.Write($"Assumed role {role} with the job's OIDC token (subject {job.OidcSubject})");
        return true;
    }

    /// <summary>An unsigned token with GitHub's claims (the fake STS reads the subject; a real STS would check the signature).</summary>
    private static string OidcToken(SimulatedJob job, string audience)
    {
        static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var claims = new JsonObject
        {
            ["iss"] = "https://token.actions.githubusercontent.com",
            ["aud"] = audience,
            ["sub"] = job.OidcSubject,
            ["repository"] = job.Run.GitHub.Repository,
            ["ref"] = job.Run.Trigger.Ref,
            ["sha"] = job.Run.Trigger.Sha,
            ["environment"] = job.EnvironmentName,
            ["job_workflow_ref"] = $"{job.Run.GitHub.Repository}/.github/workflows/{job.Run.Workflow.Name}@{job.Run.Trigger.Ref}",
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
        };
        return $"{Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Encode(claims.ToJsonString())}.";
    }

    /// <summary>github/codeql-action/upload-sarif: the SARIF file (or every .sarif under the folder) must exist and be SARIF 2.1.0 with runs.</summary>
    private static async Task<bool> UploadSarifAsync(SimulatedJob job, IReadOnlyDictionary<string, string> with)
    {
        const string action = "github/codeql-action/upload-sarif";
        var path = job.ResolvePath(with.GetValueOrDefault("sarif_file") ?? "../results");
        var files = File.Exists(path) ? [path] : Directory.Exists(path) ? Directory.GetFiles(path, "*.sarif", SearchOption.AllDirectories) : [];
        if (files.Length == 0)
            throw new WorkflowSimulationException($"{action}: No SARIF files found to upload in \"{path}\"");
        foreach (var file in files)
        {
            try
            {
                using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(file));
                if (sarif.RootElement.GetProperty("version").GetString() != "2.1.0" || sarif.RootElement.GetProperty("runs").ValueKind != JsonValueKind.Array)
                    throw new WorkflowSimulationException($"{action}: {file} is not SARIF 2.1.0 with a runs array");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException)
            {
                throw new WorkflowSimulationException($"{action}: Unable to upload \"{file}\" as it is not valid SARIF: {e.Message}");
            }
        }

        job.Write($"Uploaded {files.Length} SARIF file(s), category {with.GetValueOrDefault("category") ?? "(none)"}, to code scanning");
        return true;
    }
}
