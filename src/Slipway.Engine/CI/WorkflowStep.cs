using Slipway.Engine.CI.Yaml;

namespace Slipway.Engine.CI;

/// <summary>
/// One step of a job: an action (<see cref="Uses"/>) or a shell command (<see cref="Run"/>), with the token
/// permissions it needs. A job is granted exactly the union of its steps' permissions.
/// Build steps with <see cref="WorkflowSteps"/>.
/// </summary>
public sealed record WorkflowStep
{
    public required string Name { get; init; }

    public string? Uses { get; init; }

    public string? Run { get; init; }

    /// <summary>The step's <c>if:</c>, a complete <c>${{ ... }}</c> expression.</summary>
    public string? Condition { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> With { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>GITHUB_TOKEN scopes this step needs, e.g. <c>id-token: write</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Permissions { get; init; } = [];

    /// <param name="pin">Whether the workflow pins actions to commits (see <see cref="ActionVersions"/>).</param>
    internal YamlMapping ToYaml(bool pin, string where)
    {
        var step = new YamlMapping().Add("name", Name);
        if (Condition is not null)
            step.Add("if", Condition);
        if (Uses is not null)
        {
            var reference = ActionVersions.Reference(Uses, pin, where);
            // The version comment of a pinned action is YAML's, so the scalar is written as is.
            step.Add("uses", reference.Contains(" # ", StringComparison.Ordinal) ? new YamlScalar(reference, isVerbatim: true) : reference);
        }

        step.AddIfAny("with", Mapping(With));
        step.AddIfAny("env", Mapping(Environment));
        if (Run is not null)
            step.Add("run", Run);
        return step;
    }

    private static YamlMapping Mapping(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var mapping = new YamlMapping();
        foreach (var (key, value) in pairs)
            mapping.Add(key, value);
        return mapping;
    }
}

/// <summary>Typed steps for the well-known actions generated workflows use; versions come from <see cref="ActionVersions"/>.</summary>
public static class WorkflowSteps
{
    /// <summary>Steps that upload results must run even when the build failed, so the failure can be read.</summary>
    internal const string UnlessCancelled = "${{ !cancelled() }}";

    public static WorkflowStep Checkout() => new()
    {
        Name = "Check out",
        Uses = ActionVersions.Checkout.Tagged,
        With = [new("persist-credentials", "false")],
        Permissions = [new("contents", "read")],
    };

    public static WorkflowStep SetupDotNet(string globalJsonFile = "global.json") => new()
    {
        Name = "Set up .NET (global.json)",
        Uses = ActionVersions.SetupDotNet.Tagged,
        With = [new("global-json-file", globalJsonFile)],
    };

    /// <summary>The NuGet package folder, keyed on the project files and the central package versions.</summary>
    public static WorkflowStep NuGetCache() => new()
    {
        Name = "Cache NuGet packages",
        Uses = ActionVersions.Cache.Tagged,
        With =
        [
            new("path", "~/.nuget/packages"),
            new("key", "nuget-${{ runner.os }}-${{ hashFiles('**/*.csproj', 'Directory.Packages.props') }}"),
            new("restore-keys", "nuget-${{ runner.os }}-"),
        ],
    };

    /// <summary>
    /// Short-lived AWS credentials through GitHub's OIDC provider: the job asks for an ID token (hence
    /// <c>id-token: write</c>) and assumes <paramref name="roleToAssume"/>. No access keys are stored anywhere.
    /// </summary>
    public static WorkflowStep ConfigureAwsCredentials(GitHubExpression roleToAssume, GitHubExpression region) => new()
    {
        Name = "Configure AWS credentials (OIDC)",
        Uses = ActionVersions.ConfigureAwsCredentials.Tagged,
        With = [new("role-to-assume", roleToAssume.Text), new("aws-region", region.Text)],
        Permissions = [new("id-token", "write")],
    };

    /// <summary>Logs the runner's Docker client in to the account's private ECR registry (needs AWS credentials first).</summary>
    public static WorkflowStep AmazonEcrLogin() => new()
    {
        Name = "Log in to Amazon ECR",
        Uses = ActionVersions.AmazonEcrLogin.Tagged,
    };

    /// <summary>
    /// Uploads the SARIF files under <paramref name="directory"/> to code scanning, also after a failed scan, and
    /// only if the scan wrote any. <c>actions: read</c> is what the action needs to read the run in private repositories.
    /// </summary>
    public static WorkflowStep UploadSarif(string directory, string category) => new()
    {
        Name = "Upload SARIF to code scanning",
        Condition = $"${{{{ !cancelled() && hashFiles('{directory.TrimEnd('/')}/**/*.sarif') != '' }}}}",
        Uses = ActionVersions.UploadSarif.Tagged,
        With = [new("sarif_file", directory), new("category", category)],
        Permissions = [new("actions", "read"), new("security-events", "write")],
    };

    /// <summary>
    /// Trivy at the version pinned in docker/scripts/install-trivy.sh (hosted runners have none), installed only when
    /// the release archive has the SHA-256 pinned beside that version.
    /// </summary>
    public static WorkflowStep InstallTrivy() => new()
    {
        Name = "Install Trivy",
        Run = "sudo bash docker/scripts/install-trivy.sh\ntrivy --version\n",
    };

    public static WorkflowStep UploadArtifact(string name, IReadOnlyList<string> paths) => new()
    {
        Name = $"Upload {name}",
        Condition = UnlessCancelled,
        Uses = ActionVersions.UploadArtifact.Tagged,
        With = [new("name", name), new("path", string.Join('\n', paths) + (paths.Count > 1 ? "\n" : "")), new("if-no-files-found", "warn")],
    };

    /// <summary>
    /// Writes the engine's client certificates (ca.pem, cert.pem, key.pem) into <paramref name="folder"/> from the
    /// environment's secrets <c>PREFIX_CA</c>, <c>PREFIX_CERT</c>, <c>PREFIX_KEY</c>, readable by the runner's user only.
    /// The values reach the shell as variables, never as text in the script.
    /// </summary>
    public static WorkflowStep WriteCertificates(string folder, string secretPrefix) => new()
    {
        Name = $"Write the engine's client certificates ({folder})",
        Environment = [.. CertificateFiles.Select(f => new KeyValuePair<string, string>(f.Secret(secretPrefix), GitHubExpression.Secret(f.Secret(secretPrefix)).Text))],
        Run = string.Join('\n', [
            "umask 077",
            $"mkdir -p {folder}",
            .. CertificateFiles.Select(f => $"printf '%s\\n' \"${f.Secret(secretPrefix)}\" > {folder}/{f.File}"),
        ]) + "\n",
    };

    /// <summary>Removes what <see cref="WriteCertificates"/> wrote, whatever became of the job (<c>always()</c>).</summary>
    public static WorkflowStep RemoveCertificates(string folder) => new()
    {
        Name = $"Remove the engine's client certificates ({folder})",
        Condition = "${{ always() }}",
        Run = $"rm -rf {folder}",
    };

    private static readonly (string File, Func<string, string> Secret)[] CertificateFiles =
    [
        ("ca.pem", prefix => prefix + "_CA"),
        ("cert.pem", prefix => prefix + "_CERT"),
        ("key.pem", prefix => prefix + "_KEY"),
    ];

    public static WorkflowStep DownloadArtifact(string name, string path) => new()
    {
        Name = $"Download {name}",
        Uses = ActionVersions.DownloadArtifact.Tagged,
        With = [new("name", name), new("path", path)],
    };
}
