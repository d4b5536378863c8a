using System.Text;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

/// <summary><see cref="ContainerOperations.OpenExecStreamAsync"/> against the real engine: a command's stdin and stdout as one stream.</summary>
public sealed class ExecStreamTests : IAsyncLifetime
{
    private readonly DockerClient docker = new();
    private string container = "";

    public async Task InitializeAsync()
    {
        if (!RealServers.DockerReachable)
            return;
        await TinyImage.EnsureAsync(docker);
        container = await docker.Containers.CreateAsync(new ContainerSpec { Image = TinyImage.Name, Cmd = ["/bin/sleep", "300"] });
        await docker.Containers.StartAsync(container);
    }

    [DockerFact]
    public async Task What_is_written_reaches_the_command_and_what_it_prints_comes_back_until_it_exits()
    {
        await using var stream = await docker.Containers.OpenExecStreamAsync(container, ["/bin/sh", "-c", "read line; echo \"got $line\""]);

        await stream.WriteAsync("hello\n"u8.ToArray());
        // A zero-byte read (HttpClient waits for data that way) hands nothing over and loses nothing.
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        using var reader = new StreamReader(stream, Encoding.UTF8);

        Assert.Equal("got hello\n", await reader.ReadToEndAsync());
    }

    [DockerFact]
    public async Task Bytes_cross_the_stream_unchanged_in_both_directions()
    {
        var sent = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7 % 251)).ToArray();
        await using var stream = await docker.Containers.OpenExecStreamAsync(container, ["/bin/cat"]);

        var writing = Task.Run(async () => await stream.WriteAsync(sent));
        var received = new byte[sent.Length];
        var total = 0;
        while (total < received.Length)
        {
            var read = await stream.ReadAsync(received.AsMemory(total));
            Assert.NotEqual(0, read);
            total += read;
        }

        await writing;
        Assert.Equal(sent, received);
    }

    [DockerFact]
    public async Task A_command_that_fails_before_printing_fails_the_read_with_what_it_said()
    {
        await using var stream = await docker.Containers.OpenExecStreamAsync(container, ["/bin/sh", "-c", "echo 'connect: Connection refused' >&2; exit 1"]);

        var failure = await Assert.ThrowsAsync<IOException>(async () => await new StreamReader(stream).ReadToEndAsync());

        Assert.Equal("connect: Connection refused", failure.Message);
    }

    public async Task DisposeAsync()
    {
        if (container.Length > 0)
            await docker.Containers.RemoveAsync(container, force: true);
        docker.Dispose();
    }
}
