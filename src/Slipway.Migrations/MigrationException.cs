namespace Slipway.Migrations;

/// <summary>
/// A migration could not be planned or applied. The message is one line naming the file, database or setting at
/// fault and what to do; it never contains a password.
/// </summary>
public class MigrationException : Exception
{
    public MigrationException(string message)
        : base(message)
    {
    }

    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A migration script failed on the server; its transaction was rolled back.</summary>
public sealed class MigrationScriptException : MigrationException
{
    public MigrationScriptException(string message, string file, string sqlState, int? line, int? column, Exception innerException)
        : base(message, innerException)
    {
        File = file;
        SqlState = sqlState;
        Line = line;
        Column = column;
    }

    /// <summary>The script's file name, e.g. 0003_add_index.up.sql.</summary>
    public string File { get; }

    public string SqlState { get; }

    /// <summary>1-based line of the error in the script, when the server reported a position.</summary>
    public int? Line { get; }

    public int? Column { get; }
}

/// <summary>Another migrator held the database's migration lock for longer than the configured timeout.</summary>
public sealed class MigrationLockTimeoutException : MigrationException
{
    public MigrationLockTimeoutException(string message)
        : base(message)
    {
    }
}
