namespace Slipway.Stack.Tests.Infrastructure;

/// <summary>The theory form of [ToolFact]: skips (or fails under SLIPWAY_REQUIRE_REAL) when a tool is not on PATH.</summary>
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !ToolFactAttribute.OnPath(t)).ToArray();
        Skip = RealServers.SkipUnless(missing.Length == 0, $"{string.Join(", ", missing)} (not on PATH)");
    }
}
