using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>A git repository the test commits to: the "GitHub repository" whose commits the simulated runners clone.</summary>
internal sealed class GitRepository : IDisposable
{
    private GitRepository(string path) => Path = path;

    public string Path { get; }

    public static async Task<GitRepository> CreateAsync(IReadOnlyDictionary<string, string> files)
    {
        var repository = new GitRepository(Directory.CreateTempSubdirectory("sim-origin-").FullName);
        await Shell.RunAsync("git", ["init", "-q", "-b", "main"], repository.Path);
        await repository.CommitAsync(files, "initial");
        return repository;
    }

    /// <summary>A repository holding this checkout's files as they are in the working tree (tracked and new, not ignored), in one commit.</summary>
    public static async Task<GitRepository> CopyOfAsync(string source)
    {
        var repository = new GitRepository(Directory.CreateTempSubdirectory("sim-origin-").FullName);
        var files = (await Shell.RunAsync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], source)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files.Where(f => File.Exists(System.IO.Path.Combine(source, f))))
        {
            var target = System.IO.Path.Combine(repository.Path, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(System.IO.Path.Combine(source, file), target);
        }

        await Shell.RunAsync("git", ["init", "-q", "-b", "main"], repository.Path);
        await repository.CommitAsync("the repository");
        return repository;
    }

    /// <summary>Writes the files and commits them; returns the full commit hash.</summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string> files, string message)
    {
        foreach (var (name, content) in files)
        {
            var file = System.IO.Path.Combine(Path, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, content);
        }

        return await CommitAsync(message);
    }

    public async Task<string> CommitAsync(string message)
    {
        await Shell.RunAsync("git", ["add", "-A"], Path);
        await Shell.RunAsync("git", ["-c", "user.name=slipway-tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "--allow-empty", "-m", message], Path);
        return (await Shell.RunAsync("git", ["rev-parse", "HEAD"], Path)).Trim();
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
