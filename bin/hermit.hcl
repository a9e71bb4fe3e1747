manage-git = false

github-token-auth {
}
