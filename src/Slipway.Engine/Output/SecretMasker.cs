using System.Text;

namespace Slipway.Engine;

/// <summary>Replaces every known secret value in a line of text with <c>****</c>.</summary>
public sealed class SecretMasker
{
    private readonly List<string> secrets = [];
    private readonly Lock gate = new();

    /// <summary>Registers a value to hide; values shorter than 4 characters would mask noise and are refused.</summary>
    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 4)
            return;
        lock (gate)
        {
            if (!secrets.Contains(secret))
            {
                secrets.Add(secret);
                secrets.Sort((a, b) => b.Length.CompareTo(a.Length));
            }
        }
    }

    public string Mask(string text)
    {
        lock (gate)
        {
            if (secrets.Count == 0)
                return text;
            var builder = new StringBuilder(text);
            foreach (var secret in secrets)
                builder.Replace(secret, "****");
            return builder.ToString();
        }
    }
}

/// <summary>A writer that masks secrets line by line before anything reaches the console.</summary>
internal sealed class MaskingWriter(TextWriter inner, SecretMasker masker) : TextWriter
{
    private readonly StringBuilder line = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            inner.Write(masker.Mask(line.ToString()));
            inner.Write('\n');
            line.Clear();
            inner.Flush();
            return;
        }

        line.Append(value);
    }

    public override void Write(string? value)
    {
        if (value is null)
            return;
        foreach (var c in value)
            Write(c);
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    public override void Flush()
    {
        if (line.Length > 0)
        {
            inner.Write(masker.Mask(line.ToString()));
            line.Clear();
        }

        inner.Flush();
    }
}
