using Rotoscope.Cli;

var environment = Environment.GetEnvironmentVariables()
    .Cast<System.Collections.DictionaryEntry>()
    .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
return await CliApp.RunAsync(args, new CliContext(Console.Out, Console.Error, environment, ErrorIsTerminal: !Console.IsErrorRedirected), CancellationToken.None);
