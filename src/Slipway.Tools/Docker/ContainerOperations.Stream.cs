using Docker.DotNet;
using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>
    /// Starts <paramref name="command"/> inside a running container and returns a stream wired to it:
    /// what is written goes to its stdin, what is read comes from its stdout. It carries bytes wherever
    /// the engine's API reaches (a unix socket, or tcp+TLS to a remote engine), with no port published.
    /// Its stdout ends when the command exits; a command that wrote to stderr and nothing to stdout
    /// fails the read with what it wrote there.
    /// </summary>
    public Task<Stream> OpenExecStreamAsync(string id, IReadOnlyList<string> command, CancellationToken ct = default) =>
        engine.CallAsync<Stream>($"docker exec -i {id}", async (docker, token) =>
        {
            var created = await docker.Exec.CreateContainerExecAsync(id, new ContainerExecCreateParameters
            {
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
                Cmd = [.. command],
            }, token).ConfigureAwait(false);
            var stream = await docker.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters(), token).ConfigureAwait(false);
            return new ExecStream(stream);
        }, ct);

    /// <summary>The exec's multiplexed stdout/stderr read as one stdout stream; stdin written through.</summary>
    private sealed class ExecStream(MultiplexedStream exec) : Stream
    {
        private readonly MemoryStream stderr = new();
        private readonly byte[] chunk = new byte[16384];
        private int offset;
        private int pending;
        private bool stdoutSeen;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // A zero-byte read (HttpClient waits for data that way) fills the buffer without handing any over.
            if (pending == 0)
            {
                offset = 0;
                pending = await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var count = Math.Min(pending, buffer.Length);
            chunk.AsSpan(offset, count).CopyTo(buffer.Span);
            offset += count;
            pending -= count;
            return count;
        }

        /// <summary>The next bytes of stdout into <see cref="chunk"/>; 0 at its end.</summary>
        private async Task<int> FillAsync(CancellationToken ct)
        {
            while (true)
            {
                var result = await exec.ReadOutputAsync(chunk, 0, chunk.Length, ct).ConfigureAwait(false);
                if (result.EOF)
                {
                    if (!stdoutSeen && stderr.Length > 0)
                        throw new IOException(System.Text.Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length).Trim());
                    return 0;
                }

                if (result.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    stdoutSeen = true;
                    return result.Count;
                }

                if (stderr.Length < 4096)
                    stderr.Write(chunk, 0, result.Count);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(exec.WriteAsync(buffer.ToArray(), 0, buffer.Length, cancellationToken));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            exec.WriteAsync(buffer, offset, count, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                exec.Dispose();
                stderr.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
