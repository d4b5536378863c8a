namespace Slipway.Migrations;

/// <summary>One top-level statement of a script: its text (without the closing semicolon) and the 1-based line and column where it starts.</summary>
internal sealed record SqlStatement(string Text, int Line, int Column, string FirstWord, string SecondWord)
{
    /// <summary>BEGIN, COMMIT, ROLLBACK (but not ROLLBACK TO SAVEPOINT), END, ABORT or START TRANSACTION.</summary>
    public bool IsTransactionControl => FirstWord.ToUpperInvariant() switch
    {
        "BEGIN" or "COMMIT" or "END" or "ABORT" => true,
        "ROLLBACK" => !SecondWord.Equals("TO", StringComparison.OrdinalIgnoreCase),
        "START" => SecondWord.Equals("TRANSACTION", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}

/// <summary>
/// Splits a migration script into top-level statements, so each can be sent to the server as written (Npgsql's own
/// splitter breaks BEGIN ATOMIC bodies) and a failure can be pointed at a line of the file. Semicolons inside
/// comments, quoted strings and identifiers, dollar-quoted bodies and BEGIN ATOMIC … END do not end a statement.
/// </summary>
internal static class SqlScript
{
    public static IReadOnlyList<SqlStatement> Split(string sql)
    {
        var statements = new List<SqlStatement>();
        var words = new List<string>();
        int? start = null;
        var atomicDepth = 0;
        var i = 0;

        void EndStatement(int end)
        {
            if (start is { } s)
            {
                statements.Add(new SqlStatement(
                    sql[s..end].TrimEnd(), LineOf(sql, s), s - sql.LastIndexOf('\n', Math.Max(0, s - 1)), words.ElementAtOrDefault(0) ?? "", words.ElementAtOrDefault(1) ?? ""));
            }

            start = null;
            words.Clear();
        }

        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '-' && Next(sql, i) == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
                continue;
            }

            if (c == '/' && Next(sql, i) == '*')
            {
                i = SkipBlockComment(sql, i);
                continue;
            }

            if (c == ';' && atomicDepth == 0)
            {
                EndStatement(i);
                i++;
                continue;
            }

            start ??= i;
            if (c is '\'' or '"')
            {
                var escapes = c == '\'' && i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsWordChar(sql[i - 2]));
                i = SkipQuoted(sql, i, c, escapes);
            }
            else if (c == '$' && DollarTag(sql, i) is { } tag)
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + tag.Length;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var wordStart = i;
                while (i < sql.Length && (IsWordChar(sql[i]) || sql[i] == '$'))
                    i++;
                var word = sql[wordStart..i];
                if (word.Equals("ATOMIC", StringComparison.OrdinalIgnoreCase) && words.Count > 0 && words[^1].Equals("BEGIN", StringComparison.OrdinalIgnoreCase))
                    atomicDepth++;
                else if (atomicDepth > 0 && word.Equals("END", StringComparison.OrdinalIgnoreCase)
                         && (PreviousSignificant(sql, wordStart) == ';' || words[^1].Equals("ATOMIC", StringComparison.OrdinalIgnoreCase)))
                    atomicDepth--;
                words.Add(word);
            }
            else
            {
                i++;
                words.Add(c.ToString());
            }
        }

        EndStatement(sql.Length);
        return statements;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static char Next(string sql, int i) => i + 1 < sql.Length ? sql[i + 1] : '\0';

    /// <summary>The last non-whitespace character before i (comments inside a BEGIN ATOMIC body are rare enough to ignore here).</summary>
    private static char PreviousSignificant(string sql, int i)
    {
        while (--i >= 0)
        {
            if (!char.IsWhiteSpace(sql[i]))
                return sql[i];
        }

        return '\0';
    }

    private static int SkipBlockComment(string sql, int i)
    {
        var depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && Next(sql, i) == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && Next(sql, i) == '/')
            {
                i += 2;
                if (--depth == 0)
                    return i;
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static int SkipQuoted(string sql, int i, char quote, bool backslashEscapes)
    {
        i++;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
            }
            else if (sql[i] == quote)
            {
                if (Next(sql, i) != quote)
                    return i + 1;
                i += 2;
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    /// <summary>$$ or $tag$ at position i; null for a positional parameter like $1.</summary>
    private static string? DollarTag(string sql, int i)
    {
        var j = i + 1;
        if (j < sql.Length && char.IsDigit(sql[j]))
            return null;
        while (j < sql.Length && IsWordChar(sql[j]))
            j++;
        return j < sql.Length && sql[j] == '$' ? sql[i..(j + 1)] : null;
    }

    private static int LineOf(string sql, int offset) => 1 + sql.AsSpan(0, offset).Count('\n');
}
