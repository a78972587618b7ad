#include "cli/app.h"

int main(int argc, char** argv) { return kubevip::cli::runCli(argc, argv); }
