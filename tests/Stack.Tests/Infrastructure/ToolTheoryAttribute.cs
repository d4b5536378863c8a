namespace Slipway.Stack.Tests.Infrastructure;

/// <summary>The theory form of [ToolFact]: skips (or fails under SLIPWAY_REQUIRE_REAL) when a tool is not on PATH.</summary>
public sealed class ToolTheoryAttribute : RealServerTheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !ToolFactAttribute.OnPath(t)).ToArray();
        Needs(missing.Length == 0, $"{string.Join(", ", missing)} (not on PATH)", RealServers.InstallTools);
    }
}
