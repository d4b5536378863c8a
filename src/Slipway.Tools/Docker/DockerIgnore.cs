using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Docker;

/// <summary>
/// .dockerignore rules as the docker CLI applies them: paths relative to the context root,
/// `*` and `?` within one path segment, `**` across any number of segments, `[...]` classes,
/// `!` re-including what an earlier line excluded (the last matching line wins), and a pattern
/// that matches a directory excluding everything under it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly IReadOnlyList<Rule> rules;

    private DockerIgnore(IReadOnlyList<Rule> rules) => this.rules = rules;

    public static DockerIgnore Empty { get; } = new([]);

    /// <summary>True when some line starts with '!'.</summary>
    public bool HasExceptions => rules.Any(r => r.Exception);

    /// <summary>
    /// Whether an excluded folder must still be walked because a '!' line names a path inside it
    /// (the docker CLI's rule: `!src/Api` keeps `src` open, `!**/keep` does not).
    /// </summary>
    public bool MayReinclude(string relativeDirectory)
    {
        var prefix = Clean(relativeDirectory) + "/";
        return rules.Any(r => r.Exception && (r.Text + "/").StartsWith(prefix, StringComparison.Ordinal));
    }

    public static DockerIgnore Parse(string text)
    {
        var rules = new List<Rule>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var exception = line.StartsWith('!');
            var pattern = Clean(exception ? line[1..].Trim() : line);
            if (pattern.Length == 0)
                continue;
            rules.Add(new Rule(exception, pattern, new Regex(ToRegex(pattern), RegexOptions.CultureInvariant)));
        }

        return new DockerIgnore(rules);
    }

    /// <summary>
    /// The rules for a build: `&lt;Dockerfile&gt;.dockerignore` beside the Dockerfile when it exists,
    /// else `.dockerignore` at the context root, else none.
    /// </summary>
    public static DockerIgnore ForBuild(string contextDirectory, string dockerfilePath)
    {
        var perDockerfile = Path.GetFullPath(dockerfilePath, contextDirectory) + ".dockerignore";
        var atRoot = Path.Combine(contextDirectory, ".dockerignore");
        var file = File.Exists(perDockerfile) ? perDockerfile : File.Exists(atRoot) ? atRoot : null;
        return file is null ? Empty : Parse(File.ReadAllText(file));
    }

    /// <summary>Whether a path (relative to the context root, '/'-separated) stays out of the context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = Clean(relativePath);
        var excluded = false;
        foreach (var rule in rules)
        {
            if (rule.Exception == excluded && MatchesSelfOrParent(rule.Pattern, path))
                excluded = !rule.Exception;
        }

        return excluded;
    }

    private static bool MatchesSelfOrParent(Regex pattern, string path)
    {
        if (pattern.IsMatch(path))
            return true;
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (pattern.IsMatch(path[..slash]))
                return true;
        }

        return false;
    }

    private static string Clean(string path)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".")
                continue;
            if (segment == ".." && segments.Count > 0)
                segments.RemoveAt(segments.Count - 1);
            else if (segment != "..")
                segments.Add(segment);
        }

        return string.Join('/', segments);
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        regex.Append("(?:.*/)?"); // "**/" : zero or more whole segments
                    }
                    else
                    {
                        regex.Append(".*");
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    var body = pattern[(i + 1)..end];
                    regex.Append('[').Append(body.StartsWith('!') || body.StartsWith('^') ? "^" + body[1..] : body).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }

    private sealed record Rule(bool Exception, string Text, Regex Pattern);
}
