export async function renderScaling(): Promise<void> {
  // Filled in below.
}
