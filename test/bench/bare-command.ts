/** The baseline of one command in the bench's start-up part: node with tsx, printing one line and exiting. */
process.stdout.write('bare command\n');
