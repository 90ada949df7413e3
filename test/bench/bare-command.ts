/** The baseline of one command in the bench's start-up part: node running compiled JavaScript, printing one line and exiting. */
process.stdout.write('bare command\n');
