using System.Text;
using System.Text.Json;
using Slipway.Tools.Processes;

namespace Slipway.Tools.Registry;

/// <summary>
/// Reads an image's digest with skopeo, a client independent of our registry client and of the Docker engine,
/// to verify pushes: `skopeo inspect --tls-verify=false --authfile FILE docker://host/name:tag`.
/// The login goes through a private auth file rather than --creds, so the password is neither in the process
/// list nor in an error message that echoes the command line. skopeo gets a minimal environment, never our credentials.
/// </summary>
public sealed class SkopeoInspector(string executable = "skopeo")
{
    public async Task<string> GetDigestAsync(ImageReference image, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "inspect", "--tls-verify=false" };
        using var authFile = credentials is null ? null : AuthFile.Write(ImageReference.RegistryHost(image.Registry), credentials);
        if (authFile is not null)
            arguments.AddRange(["--authfile", authFile.Path]);
        arguments.Add($"docker://{ImageReference.RegistryHost(image.Registry)}/{image.Repository}:{image.Reference}");

        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(executable, arguments, new ProcessOptions { InheritOnly = ProcessOptions.ThirdPartyEnvironment("CONTAINERS_"), Timeout = TimeSpan.FromMinutes(2) }, cancellationToken);
        }
        catch (ToolNotFoundException)
        {
            throw new RegistryException($"{executable} not found on PATH: install it (apt-get install skopeo) to verify pushed images");
        }
        catch (ProcessFailedException e)
        {
            throw new RegistryException($"skopeo inspect {image} failed: {e.Result.StandardError.LastOrDefault(l => l.Length > 0) ?? $"exit code {e.Result.ExitCode}"}");
        }

        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("Digest").GetString()
            ?? throw new RegistryException($"skopeo inspect {image} returned no Digest");
    }

    /// <summary>A containers-auth.json holding one login, readable only by us, deleted on dispose.</summary>
    private sealed class AuthFile : IDisposable
    {
        private AuthFile(string path) => Path = path;

        public string Path { get; }

        public static AuthFile Write(string registryHost, RegistryCredentials credentials)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"slipway-auth-{Guid.NewGuid():N}.json");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(path, options))
            {
                var auth = new Dictionary<string, object>
                {
                    ["auths"] = new Dictionary<string, object>
                    {
                        [registryHost] = new Dictionary<string, string> { ["auth"] = credentials.BasicAuthorization },
                    },
                };
                stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(auth)));
            }

            return new AuthFile(path);
        }

        public void Dispose() => File.Delete(Path);
    }
}
