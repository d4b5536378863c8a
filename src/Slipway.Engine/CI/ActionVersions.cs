namespace Slipway.Engine.CI;

/// <summary>
/// The actions generated workflows use, pinned in one place. Each is the first major release whose
/// action.yml declares <c>runs.using: node24</c> (GitHub removes the Node 20 runtime from its runners in 2026);
/// amazon-ecr-login moved to node24 within its v2 line (v2.1).
/// </summary>
public static class ActionVersions
{
    public const string Checkout = "actions/checkout@v5";
    public const string SetupDotNet = "actions/setup-dotnet@v5";
    public const string Cache = "actions/cache@v5";
    public const string UploadArtifact = "actions/upload-artifact@v6";
    public const string DownloadArtifact = "actions/download-artifact@v7";
    public const string ConfigureAwsCredentials = "aws-actions/configure-aws-credentials@v6";
    public const string AmazonEcrLogin = "aws-actions/amazon-ecr-login@v2";
    public const string UploadSarif = "github/codeql-action/upload-sarif@v4";
}
