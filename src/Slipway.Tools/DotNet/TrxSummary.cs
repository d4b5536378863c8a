using System.Globalization;
using System.Xml.Linq;

namespace Slipway.Tools.DotNet;

/// <summary>The counters of a Visual Studio test results file (.trx).</summary>
public sealed record TrxSummary(int Passed, int Failed, int Skipped)
{
    public static TrxSummary Empty { get; } = new(0, 0, 0);

    public static TrxSummary operator +(TrxSummary a, TrxSummary b) => new(a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped);

    public static TrxSummary Read(string path)
    {
        var counters = XDocument.Load(path).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters")
            ?? throw new InvalidDataException($"{path} has no <Counters> element: not a TRX file");
        int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0", CultureInfo.InvariantCulture);
        return new TrxSummary(Count("passed"), Count("failed") + Count("error") + Count("timeout") + Count("aborted"), Count("notExecuted"));
    }
}
