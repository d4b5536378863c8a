using System.Text;
using Slipway.Delivery.Publishing;

namespace Slipway.Delivery.GitHub;

/// <summary>The body of a GitHub release: where it was deployed from and which images, by digest.</summary>
public static class ReleaseNotes
{
    public static string Body(DeploymentToRecord deployment, PublishResult? images)
    {
        var body = new StringBuilder()
            .AppendLine($"Deployed {deployment.Version} to {deployment.GitHubEnvironment} ({deployment.PublicUrl}) from {deployment.Commit}.")
            .AppendLine();
        if (images is null || images.Images.Count == 0)
            return body.AppendLine("The images were not handed over by PushEcr (no artifacts/images/pushed.json): see `./build.sh Releases`.").ToString();
        body.AppendLine("| Image | Digest |").AppendLine("|---|---|");
        foreach (var image in images.Images)
            body.AppendLine($"| `{image.Reference}` | `{image.Digest}` |");
        return body.ToString();
    }
}
