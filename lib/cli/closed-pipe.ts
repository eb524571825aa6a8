// A reader that stops early (`vaurien --help | head -1`) closes the pipe under our output. Node
// ignores SIGPIPE, so the next write fails with EPIPE; stop quietly, as Unix tools do.
export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      // Nobody reads what would follow; status 0 keeps `npm start -- --help | head` free of npm's failure report.
      process.exit(0);
    });
  }
}
