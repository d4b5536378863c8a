using System.Text.RegularExpressions;

namespace Slipway.Engine.CI;

/// <summary>
/// A value a workflow reads at run time: <c>${{ secrets.NAME }}</c>, <c>${{ vars.NAME }}</c>, <c>${{ inputs.NAME }}</c>.
/// Only names are ever written to a workflow file, never values.
/// </summary>
public sealed partial record GitHubExpression
{
    private GitHubExpression(string text) => Text = text;

    /// <summary>The expression as written into the workflow, <c>${{ ... }}</c> included.</summary>
    public string Text { get; }

    /// <summary>A repository or environment secret; names are UPPER_SNAKE_CASE.</summary>
    public static GitHubExpression Secret(string name) => new($"${{{{ secrets.{UpperSnake(name, "secret")} }}}}");

    /// <summary>A repository or environment variable (<c>vars</c>), for values that are not secret such as a role ARN.</summary>
    public static GitHubExpression Variable(string name) => new($"${{{{ vars.{UpperSnake(name, "variable")} }}}}");

    public override string ToString() => Text;

    internal static string UpperSnake(string name, string what) =>
        UpperSnakeName().IsMatch(name) ? name : throw new ArgumentException($"the {what} name '{name}' is not UPPER_SNAKE_CASE (e.g. AWS_ROLE_ARN)", nameof(name));

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex UpperSnakeName();
}
