// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {MemeToken} from "./MemeToken.sol";

/// @title TokenLauncher
/// @notice Deploys meme tokens: the caller receives the whole supply.
contract TokenLauncher {
    address[] public allTokens;

    event TokenCreated(address indexed token, address indexed creator, string name, string symbol, uint256 totalSupply);

    function createToken(string calldata name, string calldata symbol, uint256 totalSupply)
        external
        returns (address token)
    {
        token = address(new MemeToken(name, symbol, totalSupply, msg.sender));
        allTokens.push(token);
        emit TokenCreated(token, msg.sender, name, symbol, totalSupply);
    }

    function allTokensLength() external view returns (uint256) {
        return allTokens.length;
    }
}
