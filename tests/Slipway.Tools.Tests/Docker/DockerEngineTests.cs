using System.Formats.Tar;
using System.Net;
using System.Text;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

/// <summary>Against the real engine at DOCKER_HOST (the private one `.ci/run` starts).</summary>
public sealed class DockerEngineTests : IDisposable
{
    private readonly DockerClient docker = new();
    private readonly string unique = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> directories = [];

    [DockerFact]
    public async Task Ping_version_and_negotiated_api_version()
    {
        await docker.System.PingAsync();
        var version = await docker.System.VersionAsync();
        var api = await docker.ApiVersionAsync();

        Assert.NotEmpty(version.Version);
        Assert.Equal("linux", version.Os);
        Assert.True(Version.Parse(api) <= Version.Parse(DockerClient.MaxApiVersion));
        Assert.Equal(Version.Parse(api), new[] { Version.Parse(DockerClient.MaxApiVersion), Version.Parse(version.ApiVersion) }.Min());
    }

    [DockerFact]
    public async Task Build_honours_target_stage_build_args_labels_dockerfile_path_and_dockerignore()
    {
        var dir = Context("""
            FROM scratch AS base
            COPY rootfs/ /
            COPY app/ /app/

            FROM base AS final
            ARG GREETING=default
            RUN ["/bin/sh", "-c", "echo $GREETING > /greeting.txt"]

            FROM final AS extra
            RUN ["/bin/sh", "-c", "echo never > /never.txt"]
            """, dockerfileName: "docker/test.Dockerfile");
        Write(dir, "app/kept.txt", "kept\n");
        Write(dir, "app/secret.env", "TOKEN=x");
        Write(dir, ".dockerignore", "**/*.env\n");
        var tag = $"slipway-test/build:{unique}";
        var log = new List<string>();

        await using var context = await BuildContext.CreateAsync(dir, "docker/test.Dockerfile");
        var id = await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters
        {
            Tags = [tag],
            Dockerfile = context.Dockerfile,
            BuildArgs = new Dictionary<string, string> { ["GREETING"] = "hello from args" },
            Labels = new Dictionary<string, string> { ["io.slipway.test"] = unique },
            Target = "final",
        }, log.Add);

        try
        {
            Assert.StartsWith("sha256:", id, StringComparison.Ordinal);
            Assert.Contains(log, l => l.StartsWith("Step ", StringComparison.Ordinal));
            var image = await docker.Images.InspectAsync(tag);
            Assert.Equal(id, image.Id);
            Assert.Equal(unique, image.Labels["io.slipway.test"]);
            Assert.Contains(tag, image.RepoTags!);
            Assert.True(image.Size > 100_000, $"size {image.Size}");

            var output = await RunAsync(tag, "cat /greeting.txt /app/kept.txt; ls /app; ls /never.txt 2>&1 || true");
            Assert.Equal("hello from args\nkept\nkept.txt\nls: cannot access '/never.txt': No such file or directory\n", output.StandardOutput);
        }
        finally
        {
            await docker.Images.RemoveAsync(tag, force: true);
        }
    }

    [DockerFact]
    public async Task A_failing_build_step_fails_with_the_engine_message()
    {
        var dir = Context("FROM scratch\nCOPY rootfs/ /\nRUN [\"/bin/sh\", \"-c\", \"echo about to fail; exit 3\"]\n");
        var log = new List<string>();

        await using var context = await BuildContext.CreateAsync(dir, "Dockerfile");
        var error = await Assert.ThrowsAsync<DockerStreamException>(() =>
            docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [$"slipway-test/fail:{unique}"] }, log.Add));

        Assert.Contains("returned a non-zero code: 3", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("docker build failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("about to fail", log);
    }

    [DockerFact]
    public async Task Tag_list_save_and_remove()
    {
        await TinyImage.EnsureAsync(docker);
        var tag = $"slipway-test/tagged:{unique}";
        await docker.Images.TagAsync(TinyImage.Name, "slipway-test/tagged", unique);
        try
        {
            var listed = await docker.Images.ListAsync(new ImageListFilter { References = [tag] });
            Assert.Equal((await docker.Images.InspectAsync(TinyImage.Name)).Id, Assert.Single(listed).Id);

            var tarball = Path.Combine(TempDirectory(), "image.tar");
            await using (var file = File.Create(tarball))
                await docker.Images.SaveAsync([tag], file);

            var names = new List<string>();
            string? manifest = null;
            await using (var file = File.OpenRead(tarball))
            using (var reader = new TarReader(file))
            {
                while (await reader.GetNextEntryAsync() is { } entry)
                {
                    names.Add(entry.Name);
                    if (entry.Name == "manifest.json")
                        manifest = await new StreamReader(entry.DataStream!).ReadToEndAsync();
                }
            }

            Assert.Contains(names, n => n.EndsWith("layer.tar", StringComparison.Ordinal));
            Assert.Contains($"\"{tag}\"", manifest, StringComparison.Ordinal);
        }
        finally
        {
            await docker.Images.RemoveAsync(tag);
        }

        Assert.Null(await docker.Images.TryInspectAsync(tag));
        var missing = await Assert.ThrowsAsync<DockerNotFoundException>(() => docker.Images.RemoveAsync(tag));
        Assert.Contains("No such image", missing.Message, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task Container_lifecycle_exit_code_and_separated_logs()
    {
        await TinyImage.EnsureAsync(docker);
        var id = await docker.Containers.CreateAsync(new ContainerSpec
        {
            Image = TinyImage.Name,
            Name = $"slipway-test-{unique}",
            Cmd = ["/bin/sh", "-c", "echo \"out $MODE\"; echo err >&2; exit 7"],
            Env = new Dictionary<string, string> { ["MODE"] = "env-passed" },
            Labels = new Dictionary<string, string> { ["io.slipway.test"] = unique },
        });
        try
        {
            await docker.Containers.StartAsync(id);
            Assert.Equal(7, await docker.Containers.WaitAsync(id));

            var logs = await docker.Containers.LogsAsync(id);
            Assert.Equal("out env-passed\n", logs.StandardOutput);
            Assert.Equal("err\n", logs.StandardError);
            var inspect = await docker.Containers.InspectAsync(id);
            Assert.Equal(("exited", 7), (inspect.State.Status, inspect.State.ExitCode));
            Assert.Equal($"/slipway-test-{unique}", inspect.Name);
            Assert.Equal(unique, inspect.Config.Labels!["io.slipway.test"]);
        }
        finally
        {
            await docker.Containers.RemoveAsync(id, force: true);
        }

        await Assert.ThrowsAsync<DockerNotFoundException>(() => docker.Containers.InspectAsync(id));
    }

    [DockerFact]
    public async Task Stop_ends_a_running_container()
    {
        await TinyImage.EnsureAsync(docker);
        var id = await docker.Containers.CreateAsync(new ContainerSpec { Image = TinyImage.Name, Cmd = ["/bin/sleep", "300"] });
        try
        {
            await docker.Containers.StartAsync(id);
            Assert.True((await docker.Containers.InspectAsync(id)).State.Running);

            await docker.Containers.StopAsync(id, TimeSpan.FromSeconds(1));

            var state = (await docker.Containers.InspectAsync(id)).State;
            Assert.False(state.Running);
            Assert.Equal("exited", state.Status);
            await docker.Containers.StopAsync(id); // already stopped: the engine's 304 is not an error
        }
        finally
        {
            await docker.Containers.RemoveAsync(id, force: true);
        }
    }

    [DockerFact]
    public async Task Unknown_image_is_an_api_error_with_the_engine_message()
    {
        var error = await Assert.ThrowsAsync<DockerNotFoundException>(() =>
            docker.Containers.CreateAsync(new ContainerSpec { Image = $"slipway-test/absent:{unique}" }));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains($"slipway-test/absent:{unique}", error.Message, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task Networks_create_inspect_and_remove()
    {
        var name = $"slipway-test-{unique}";
        var id = await docker.Networks.CreateAsync(new NetworkCreateParameters(name)
        {
            Internal = true,
            Labels = new Dictionary<string, string> { ["io.slipway.test"] = unique },
        });
        try
        {
            var network = await docker.Networks.InspectAsync(name);
            Assert.Equal((id, name, "bridge", true), (network.Id, network.Name, network.Driver, network.Internal));
            Assert.Equal(unique, network.Labels!["io.slipway.test"]);
            var duplicate = await Assert.ThrowsAsync<DockerApiException>(() => docker.Networks.CreateAsync(new NetworkCreateParameters(name)));
            Assert.Contains("already exists", duplicate.Message, StringComparison.Ordinal);
        }
        finally
        {
            await docker.Networks.RemoveAsync(id);
        }

        await Assert.ThrowsAsync<DockerNotFoundException>(() => docker.Networks.InspectAsync(name));
    }

    [DockerFact]
    public async Task A_volume_keeps_data_between_containers()
    {
        await TinyImage.EnsureAsync(docker);
        var name = $"slipway-test-{unique}";
        var volume = await docker.Volumes.CreateAsync(new VolumeCreateParameters(name) { Labels = new Dictionary<string, string> { ["io.slipway.test"] = unique } });
        try
        {
            Assert.Equal((name, "local"), (volume.Name, volume.Driver));
            Assert.Equal(unique, (await docker.Volumes.InspectAsync(name)).Labels!["io.slipway.test"]);

            await RunAsync(TinyImage.Name, "echo persisted > /data/file", binds: [$"{name}:/data"]);
            var read = await RunAsync(TinyImage.Name, "cat /data/file", binds: [$"{name}:/data:ro"]);

            Assert.Equal("persisted\n", read.StandardOutput);
        }
        finally
        {
            await docker.Volumes.RemoveAsync(name, force: true);
        }

        await Assert.ThrowsAsync<DockerNotFoundException>(() => docker.Volumes.InspectAsync(name));
    }

    [RegistryFact]
    public async Task Push_with_auth_then_pull_by_digest()
    {
        await TinyImage.EnsureAsync(docker);
        var registry = RealServers.Registry!;
        var auth = new RegistryAuth(RealServers.RegistryUser!, RealServers.RegistryPassword!, registry);
        var repository = $"{registry}/slipway-test/tiny";
        await docker.Images.TagAsync(TinyImage.Name, repository, unique);
        var progress = new List<string>();
        try
        {
            var pushed = await docker.Images.PushAsync(repository, unique, auth, progress.Add);

            Assert.Matches("^sha256:[0-9a-f]{64}$", pushed.Digest);
            Assert.Equal(unique, pushed.Tag);
            Assert.Contains(progress, l => l.StartsWith("The push refers to repository", StringComparison.Ordinal));

            await docker.Images.RemoveAsync($"{repository}:{unique}");
            await docker.Images.PullAsync($"{repository}@{pushed.Digest}", auth);
            var pulled = await docker.Images.InspectAsync($"{repository}@{pushed.Digest}");
            Assert.Contains($"{repository}@{pushed.Digest}", pulled.RepoDigests!);
            Assert.Equal((await docker.Images.InspectAsync(TinyImage.Name)).Id, pulled.Id);
        }
        finally
        {
            await docker.Images.RemoveAsync($"{repository}:{unique}", force: true).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [RegistryFact]
    public async Task Push_with_a_wrong_password_fails_on_the_error_line()
    {
        await TinyImage.EnsureAsync(docker);
        var registry = RealServers.Registry!;
        var repository = $"{registry}/slipway-test/denied";
        await docker.Images.TagAsync(TinyImage.Name, repository, unique);
        try
        {
            var error = await Assert.ThrowsAsync<DockerStreamException>(() =>
                docker.Images.PushAsync(repository, unique, new RegistryAuth(RealServers.RegistryUser!, "wrong-password", registry)));

            Assert.StartsWith($"docker push {repository}:{unique} failed: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("unauthorized", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("wrong-password", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await docker.Images.RemoveAsync($"{repository}:{unique}");
        }
    }

    private async Task<ContainerLogs> RunAsync(string image, string script, IReadOnlyList<string>? binds = null)
    {
        var id = await docker.Containers.CreateAsync(new ContainerSpec { Image = image, Cmd = ["/bin/sh", "-c", script], Binds = binds ?? [] });
        try
        {
            await docker.Containers.StartAsync(id);
            var exit = await docker.Containers.WaitAsync(id);
            var logs = await docker.Containers.LogsAsync(id);
            Assert.True(exit == 0, $"'{script}' exited {exit}: {logs.StandardError}");
            return logs;
        }
        finally
        {
            await docker.Containers.RemoveAsync(id, force: true);
        }
    }

    private string Context(string dockerfile, string dockerfileName = "Dockerfile")
    {
        var dir = TinyImage.CreateContext();
        directories.Add(dir);
        Write(dir, dockerfileName, dockerfile);
        return dir;
    }

    private string TempDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("slipway-docker-").FullName;
        directories.Add(dir);
        return dir;
    }

    private static void Write(string dir, string relative, string content)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
    }

    public void Dispose()
    {
        foreach (var dir in directories)
            Directory.Delete(dir, recursive: true);
        docker.Dispose();
    }
}
